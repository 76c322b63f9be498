/* cmd_plan.c: `cosma plan GRAPH --budget B -o PLAN`: plans, verifies and
 * writes the plan and whatever else was asked for. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include <cosma/codegen.h>
#include <cosma/planner.h>

static const char usage[] =
    "usage: cosma plan GRAPH --budget B -o PLAN.json [options]\n\n"
    "Chooses the operator order, the scratchpad offsets and the spills of GRAPH\n"
    "for a scratchpad of B bytes, minimising non-compulsory off-chip traffic.\n"
    "Every plan is checked by the verifier before it is written.\n\n"
    "  --budget B          bytes, with an optional unit (KB, KiB, MB, MiB, GB, GiB),\n"
    "                      or M_R, M_H, M_P (with --params: M_Rp, M_Hp, M_Pp)\n"
    "  -o, --output FILE   the plan (JSON, docs/plan-format.md)\n"
    "  --params            parameters must be resident while their operator runs\n"
    "  --elem-bytes N      count every element as N bytes (the paper uses 1)\n"
    "  --schedule S        joint (default: order chosen with the plan), fixed (the\n"
    "                      graph's order, or --order FILE), peak (a zero-traffic\n"
    "                      plan: no spills and no reloads, in a low-peak order)\n"
    "  --order FILE        operator names, one per line (implies --schedule fixed)\n"
    "  --method M          auto (default; today the same as ilp), ilp, dc (also\n"
    "                      divide-and-conquer windows over the best order), or\n"
    "                      greedy (no ILP: fast on any size, weaker plans and bounds)\n"
    "  --time-limit S      seconds for the whole command (default 60): at the limit\n"
    "                      the best plan found so far is written\n"
    "  --threads N         accepted for compatibility; GLPK uses one thread\n"
    "  --baseline NAME     plan with a baseline instead: default-belady,\n"
    "                      default-greedy, peak-belady, peak-greedy\n"
    "  --align N           baseline arena alignment in bytes (default 64)\n"
    "  --summary FILE      write a JSON summary ('-' for standard output)\n"
    "  --export-model FILE write the residency ILP as .lp or .mps\n"
    "  --emit-c FILE.h     write the plan as static C arrays\n"
    "  --svg FILE.svg      draw the scratchpad over time\n"
    "  --dim NAME=VALUE    bind a symbolic ONNX dimension\n"
    "  -q, --quiet         no progress line on stderr (by default one line, updated\n"
    "                      in place on a terminal, else printed every 5 s)\n"
    "A plan is the same on any machine unless the time limit ended the search\n"
    "early; the summary's \"search\" then says \"time-limit\".\n"
    "Exit status: 0 plan written, 1 proven that no plan exists within the budget\n"
    "(an operator does not fit; with --schedule peak: no zero-traffic plan exists),\n"
    "2 bad usage or input, 3 internal or solver failure (also: --schedule peak\n"
    "found no zero-traffic plan but could not prove that none exists; the time\n"
    "limit passed before any plan was found), 128 + N ended by signal N (SIGINT\n"
    "130, SIGTERM 143, SIGHUP 129): the best verified plan found so far was\n"
    "written with all the other outputs, or nothing if none was found yet.\n";

/* Which bound a symbolic budget names ('R', 'H' or 'P'); 0 when text is
 * not one.  M_Rp, M_Hp and M_Pp need --params (-1, reported). */
static int symbolic_budget(const char *text, const cosma_mode_t *mode, cosma_diag_t *diag)
{
    int params;
    int symbol = cli_budget_symbol(text, &params);
    if (symbol && params && !mode->with_params) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "budget %s needs --params", text);
        return -1;
    }
    return symbol;
}

/* What the solve needs and gives, shared with the worker thread. */
typedef struct {
    const cosma_graph_t *graph;
    cosma_mode_t mode;
    const char *budget_text;
    int symbolic;            /* 'R', 'H', 'P' or 0 (budget given in bytes) */
    const char *baseline;
    uint64_t align;
    double started, time_limit; /* the command's clock and limit */
    cosma_plan_options_t options;
    cosma_diag_t diag;
    cosma_bounds_t bounds;   /* of a symbolic budget */
    uint64_t budget;
    cosma_plan_t *plan;
} plan_job_t;

/* Resolves a symbolic budget.  Computed once: the planner is handed these
 * bounds, so M_P means the same order in both. */
static cosma_status_t resolve_budget(plan_job_t *job)
{
    cosma_status_t status =
        cosma_planner_bounds(job->graph, &job->mode, job->time_limit * CLI_BUDGET_BOUNDS_SHARE, &job->bounds, &job->diag);
    if (status != COSMA_OK)
        return status;
    if (job->bounds.stopped_by_clock)
        cosma_diag_report(&job->diag, COSMA_SEV_WARNING,
                          "the time limit cut the search for M_P short: %s is from the best order found so far",
                          job->budget_text);
    job->budget = cli_budget_bytes(&job->bounds, job->symbolic);
    return COSMA_OK;
}

/* The solve, on the worker thread: the budget, then the plan in the time
 * the command has left. */
static cosma_status_t plan_job(void *ctx, cli_solve_t *solve)
{
    plan_job_t *job = ctx;
    cosma_status_t status = job->symbolic ? resolve_budget(job) : COSMA_OK;
    if (status != COSMA_OK)
        return status;
    if (job->baseline != NULL)
        return cosma_baseline_plan(job->graph, &job->mode, job->budget, job->baseline, job->align, &job->plan,
                                   &job->diag);
    double left = job->time_limit - (cosma_clock_seconds() - job->started);
    job->options.mode = job->mode;
    job->options.budget_bytes = job->budget;
    job->options.time_limit = left > 0.0 ? left : 1e-3;
    job->options.bounds = job->symbolic && job->bounds.order != NULL ? &job->bounds : NULL;
    cli_solve_hook(solve, &job->options);
    return cosma_planner_plan(job->graph, &job->options, &job->plan, &job->diag);
}

/* After a signal or the time limit: the best plan found so far is
 * written; without one, nothing is.  The model is exported once, into its
 * temporary by rename: it is complete or still empty (then dropped). */
static cosma_status_t early_end(cli_solve_end_t end, int signal_number, double time_limit, cosma_plan_t *plan,
                                cosma_outputs_t *outs, const char *export_path, const char *export_temp,
                                cosma_diag_t *diag)
{
    const char *why = end == CLI_SOLVE_TIMED_OUT     ? "the time limit"
                      : signal_number == SIGINT  ? "SIGINT"
                      : signal_number == SIGTERM ? "SIGTERM"
                                                 : "SIGHUP";
    if (plan == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "stopped by %s (%g s) before any plan was found: nothing written",
                          why, time_limit);
        return COSMA_ERR_SOLVER;
    }
    plan->stopped = end == CLI_SOLVE_INTERRUPTED ? COSMA_STOP_INTERRUPT : COSMA_STOP_TIME_LIMIT;
    cosma_diag_report(diag, COSMA_SEV_WARNING, "stopped by %s: writing the best plan found so far", why);
    struct stat st;
    if (export_path != NULL && (stat(export_temp, &st) != 0 || st.st_size == 0)) {
        cosma_diag_report(diag, COSMA_SEV_WARNING, "the ILP model is not exported: the solve ended before it was built");
        cosma_outputs_drop(outs, export_path);
    }
    return COSMA_OK;
}

static void print_result(const cosma_graph_t *graph, const cosma_plan_t *plan, uint64_t budget, const char *output)
{
    uint64_t traffic = plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
    printf("%s: %s plan (%s) within %llu bytes\n", graph->name, cosma_plan_status_name(plan->status), plan->method,
           (unsigned long long)budget);
    printf("  non-compulsory traffic %llu bytes (spill %llu, retrieve %llu), lower bound %llu\n",
           (unsigned long long)traffic, (unsigned long long)plan->traffic.spill_bytes,
           (unsigned long long)plan->traffic.retrieve_bytes, (unsigned long long)plan->lower_bound_bytes);
    printf("  compulsory traffic %llu bytes, scratchpad used %llu bytes, %.2f s\n",
           (unsigned long long)(plan->traffic.compulsory_load_bytes + plan->traffic.compulsory_store_bytes),
           (unsigned long long)plan->traffic.peak_bytes, plan->solve_seconds);
    if (plan->stopped != COSMA_STOP_NONE)
        printf("  search ended early (%s): the plan may differ on a faster or slower machine\n",
               cosma_stop_name(plan->stopped));
    printf("  plan written to %s\n", output);
}

/* The model is written by the planner while it runs, into a temporary
 * file that a signal removes. */
static cosma_status_t export_target(cosma_outputs_t *outs, const char *path, const char **out_temp,
                                    cosma_diag_t *diag)
{
    sigset_t old;
    cli_signals_defer(&old);
    cosma_status_t status = cosma_outputs_temp(outs, path, out_temp, diag);
    if (status == COSMA_OK)
        cli_signals_track(*out_temp);
    cli_signals_restore(&old);
    return status;
}

/* Where a writer that takes a file name writes an output: its temporary
 * file, or "-" for standard output. */
static cosma_status_t writer_target(cosma_outputs_t *outs, const char *path, const char **out_target,
                                    cosma_diag_t *diag)
{
    if (strcmp(path, "-") == 0) {
        *out_target = path;
        return COSMA_OK;
    }
    return cosma_outputs_temp(outs, path, out_target, diag);
}

/* Writes every output and commits them together, with the signals that
 * could interrupt the commit deferred until it is done or undone; frees
 * outs.  paths: plan, summary, C header, SVG, model and its temporary. */
enum { P_PLAN, P_SUMMARY, P_HEADER, P_SVG, P_EXPORT, P_EXPORT_TEMP };
static cosma_status_t write_outputs(cosma_outputs_t *outs, const cosma_graph_t *graph, const cosma_plan_t *plan,
                                    const char *const *paths, cosma_diag_t *diag)
{
    const char *output = paths[P_PLAN], *summary_path = paths[P_SUMMARY], *header_path = paths[P_HEADER];
    const char *svg_path = paths[P_SVG], *export_temp = paths[P_EXPORT_TEMP];
    sigset_t old;
    cli_signals_defer(&old);
    cli_signals_track(NULL);
    const char *target = NULL;
    cosma_status_t status = writer_target(outs, output, &target, diag);
    if (status == COSMA_OK)
        status = cosma_codegen_write_plan(graph, plan, target, diag);
    if (status == COSMA_OK && header_path != NULL && (status = writer_target(outs, header_path, &target, diag)) == COSMA_OK)
        status = cosma_codegen_write_c_header(graph, plan, target, diag);
    if (status == COSMA_OK && svg_path != NULL && (status = writer_target(outs, svg_path, &target, diag)) == COSMA_OK)
        status = cosma_codegen_write_svg(graph, plan, target, diag);
    if (status == COSMA_OK && summary_path != NULL) {
        cosma_buf_t summary;
        cosma_buf_init(&summary);
        status = cosma_codegen_emit_summary(graph, plan, &summary);
        if (status == COSMA_OK)
            status = cosma_outputs_write(outs, summary_path, summary.data, summary.length, diag);
        cosma_buf_free(&summary);
    }
    struct stat st;
    if (status == COSMA_OK && export_temp != NULL && stat(export_temp, &st) == 0 && st.st_size == 0) {
        /* No residency model was built (e.g. every tensor fits). */
        cosma_diag_report(diag, COSMA_SEV_WARNING, "no ILP model was built for this plan: nothing exported");
        cosma_outputs_drop(outs, paths[P_EXPORT]);
    }
    if (status == COSMA_OK)
        status = cosma_outputs_commit(outs, diag);
    cosma_outputs_destroy(outs);
    cli_signals_restore(&old);
    return status;
}

int cli_cmd_plan(int argc, char **argv)
{
    double started = cosma_clock_seconds();
    cosma_diag_t diag = cli_diag_stderr();
    cli_graph_options_t options = {0};
    const char *path = NULL, *output = NULL, *budget_text = NULL, *schedule_text = NULL, *order_path = NULL;
    const char *summary_path = NULL, *export_path = NULL, *header_path = NULL, *svg_path = NULL;
    const char *baseline = NULL, *method_text = NULL, *value;
    double time_limit = 60.0;
    uint64_t align = 64;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv, &i, "--help") || cli_flag(argv, &i, "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        if (cli_flag(argv, &i, "--quiet") || cli_flag(argv, &i, "-q")) {
            quiet = 1;
            continue;
        }
        int taken = cli_graph_option(argc, argv, &i, &options, &diag);
        if (taken < 0)
            return CLI_EXIT_BAD_INPUT;
        if (taken > 0)
            continue;
        const char **target = NULL;
        const char *name = argv[i];
        if (cli_option(argc, argv, &i, "-o", &value) || cli_option(argc, argv, &i, "--output", &value))
            target = &output;
        else if (cli_option(argc, argv, &i, "--budget", &value))
            target = &budget_text;
        else if (cli_option(argc, argv, &i, "--schedule", &value))
            target = &schedule_text;
        else if (cli_option(argc, argv, &i, "--order", &value))
            target = &order_path;
        else if (cli_option(argc, argv, &i, "--method", &value))
            target = &method_text;
        else if (cli_option(argc, argv, &i, "--summary", &value))
            target = &summary_path;
        else if (cli_option(argc, argv, &i, "--export-model", &value))
            target = &export_path;
        else if (cli_option(argc, argv, &i, "--emit-c", &value))
            target = &header_path;
        else if (cli_option(argc, argv, &i, "--svg", &value))
            target = &svg_path;
        else if (cli_option(argc, argv, &i, "--baseline", &value))
            target = &baseline;
        else if (cli_option(argc, argv, &i, "--time-limit", &value)) {
            if (!cli_parse_double(value, &time_limit) || time_limit <= 0)
                return cli_usage_error("plan", "--time-limit needs a positive number of seconds");
            continue;
        } else if (cli_option(argc, argv, &i, "--threads", &value)) {
            uint32_t threads;
            if (!cli_parse_u32(value, &threads) || threads == 0)
                return cli_usage_error("plan", "--threads needs a positive whole number");
            continue;
        } else if (cli_option(argc, argv, &i, "--align", &value)) {
            if (!cli_parse_u64(value, &align) || align == 0 || (align & (align - 1)) != 0)
                return cli_usage_error("plan", "--align needs a power of two");
            continue;
        } else {
            const char **operands[] = {&path};
            int code = cli_operand("plan", name, operands, 1);
            if (code != CLI_EXIT_OK)
                return code;
            continue;
        }
        if (value == NULL)
            return cli_usage_error("plan", "%s needs a value", name);
        *target = value;
    }
    if (path == NULL)
        return cli_usage_error("plan", "missing the graph file");
    if (budget_text == NULL)
        return cli_usage_error("plan", "missing --budget");
    if (output == NULL)
        return cli_usage_error("plan", "missing -o PLAN");
    cosma_schedule_t schedule = order_path != NULL ? COSMA_SCHEDULE_FIXED : COSMA_SCHEDULE_JOINT;
    if (schedule_text != NULL) {
        if (strcmp(schedule_text, "joint") == 0)
            schedule = COSMA_SCHEDULE_JOINT;
        else if (strcmp(schedule_text, "fixed") == 0)
            schedule = COSMA_SCHEDULE_FIXED;
        else if (strcmp(schedule_text, "peak") == 0)
            schedule = COSMA_SCHEDULE_PEAK;
        else
            return cli_usage_error("plan", "--schedule must be joint, fixed or peak, not '%s'", schedule_text);
        if (order_path != NULL && schedule != COSMA_SCHEDULE_FIXED)
            return cli_usage_error("plan", "--order needs --schedule fixed");
    }
    cosma_method_t method = COSMA_METHOD_AUTO;
    if (method_text != NULL && !cli_parse_method(method_text, &method))
        return cli_usage_error("plan", "--method must be auto, ilp, dc or greedy, not '%s'", method_text);
    if (export_path != NULL) {
        size_t n = strlen(export_path);
        if (n < 4 || (strcmp(export_path + n - 3, ".lp") != 0 && strcmp(export_path + n - 4, ".mps") != 0))
            return cli_usage_error("plan", "--export-model needs a file ending in .lp or .mps");
    }
    if (baseline != NULL) {
        int known = 0;
        for (int b = 0; cosma_baseline_names[b] != NULL; b++)
            known |= strcmp(cosma_baseline_names[b], baseline) == 0;
        if (!known)
            return cli_usage_error("plan", "unknown baseline '%s'", baseline);
        if (schedule_text != NULL || order_path != NULL)
            return cli_usage_error("plan", "--baseline fixes its own schedule; drop --schedule / --order");
    }

    /* Every output is checked before the (long) planning starts. */
    cosma_outputs_t *outs = cosma_outputs_create();
    if (outs == NULL) {
        cosma_diag_report(&diag, COSMA_SEV_ERROR, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    const char *targets[] = {output, summary_path, export_path, header_path, svg_path};
    cosma_status_t status = cosma_outputs_add_input(outs, path);
    if (status == COSMA_OK)
        status = cosma_outputs_add_input(outs, order_path);
    for (size_t k = 0; k < sizeof targets / sizeof targets[0] && status == COSMA_OK; k++)
        if (targets[k] != NULL)
            status = cosma_outputs_add(outs, targets[k], &diag);
    const char *export_temp = NULL;
    if (status == COSMA_OK && export_path != NULL)
        status = export_target(outs, export_path, &export_temp, &diag);

    cosma_graph_t *graph = NULL;
    cosma_plan_t *plan = NULL;
    int32_t *order = NULL;
    if (status == COSMA_OK)
        status = cli_load_graph(path, &options, &graph, &diag);
    if (status != COSMA_OK) {
        cli_signals_track(NULL);
        cosma_outputs_destroy(outs);
        return cli_exit_code(status, &diag);
    }
    plan_job_t job = {.graph = graph, .mode = cli_mode(graph, &options), .budget_text = budget_text,
                      .baseline = baseline, .align = align, .started = started, .time_limit = time_limit};
    job.symbolic = symbolic_budget(budget_text, &job.mode, &diag);
    if (job.symbolic < 0)
        status = COSMA_ERR_USAGE;
    else if (!job.symbolic && (!cli_parse_bytes(budget_text, &job.budget) || job.budget == 0)) {
        cli_usage_error("plan", "--budget needs bytes (e.g. 802816, 2MiB, 1.5MB) or M_R, M_H, M_P; got '%s'",
                        budget_text);
        status = COSMA_ERR_USAGE;
    }
    if (status == COSMA_OK && order_path != NULL) {
        order = malloc(((size_t)graph->n_ops + 1) * sizeof(int32_t));
        status = order == NULL ? COSMA_ERR_NOMEM : cli_read_order(order_path, graph, order, &diag);
    }
    cli_solve_end_t end = CLI_SOLVE_FINISHED;
    int signal_number = 0;
    if (status == COSMA_OK) {
        cosma_plan_options_init(&job.options);
        job.options.schedule = schedule;
        job.options.method = method;
        job.options.order = order;
        job.options.export_model = export_temp;
        cosma_plan_t *best = NULL;
        job.diag = diag;
        end = cli_solve_run(plan_job, &job, started, time_limit, quiet, &status, &best, &signal_number);
        plan = end == CLI_SOLVE_FINISHED ? job.plan : best;
        diag.n_errors = job.diag.n_errors; /* the job reported through a copy of diag */
        if (end != CLI_SOLVE_FINISHED) {
            status = early_end(end, signal_number, time_limit, plan, outs, export_path, export_temp, &diag);
            /* The plan's own time is when it was found; the solve ran on
             * until now, and that is what the summary reports. */
            if (status == COSMA_OK)
                plan->solve_seconds = cosma_clock_seconds() - started;
        }
    }
    if (status == COSMA_OK) {
        const char *paths[] = {output, summary_path, header_path, svg_path, export_path, export_temp};
        status = write_outputs(outs, graph, plan, paths, &diag);
    } else {
        cli_signals_track(NULL);
        cosma_outputs_destroy(outs);
    }
    if (status == COSMA_OK && (summary_path == NULL || strcmp(summary_path, "-") != 0))
        print_result(graph, plan, job.budget, output);
    int code = signal_number != 0 ? 128 + signal_number : cli_exit_code(status, &diag);
    if (end != CLI_SOLVE_FINISHED) {
        /* The solve still runs on its thread and reads the graph: nothing it
         * uses is freed; the process ends here. */
        cosma_plan_destroy(plan);
        fflush(stderr);
        _exit(cli_finish_stdout(code));
    }
    free(order);
    cosma_bounds_free(&job.bounds);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return code;
}
