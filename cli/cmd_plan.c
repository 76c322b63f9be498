/* cmd_plan.c: `cosma plan GRAPH --budget B -o PLAN`: plans, verifies and
 * writes the plan and whatever else was asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    "  --method M          auto (default: divide-and-conquer when the whole joint\n"
    "                      model is too large for the time limit), ilp, dc\n"
    "  --time-limit S      seconds for the whole solve (default 60)\n"
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
    "Exit status: 0 plan written, 1 proven that no plan exists within the budget\n"
    "(an operator does not fit; with --schedule peak: no zero-traffic plan exists),\n"
    "2 bad usage or input, 3 internal or solver failure (also: --schedule peak\n"
    "found no zero-traffic plan but could not prove that none exists).\n";

/* Resolves a symbolic budget; returns 1 and sets *out when text is one. */
static int symbolic_budget(const char *text, const cosma_graph_t *graph, const cosma_mode_t *mode,
                           double time_limit, cosma_bounds_t *out_bounds, uint64_t *out_bytes, cosma_diag_t *diag,
                           cosma_status_t *out_status)
{
    char base[8];
    size_t n = strlen(text);
    if (n < 3 || n > 4 || strncmp(text, "M_", 2) != 0)
        return 0;
    memcpy(base, text, n + 1);
    int params = mode->with_params;
    if (n == 4) {
        if (base[3] != 'p')
            return 0;
        if (!params) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "budget %s needs --params", text);
            *out_status = COSMA_ERR_USAGE;
            return 1;
        }
        base[3] = '\0';
    }
    if (strcmp(base, "M_R") != 0 && strcmp(base, "M_H") != 0 && strcmp(base, "M_P") != 0)
        return 0;
    /* Computed once: the planner is handed these bounds, so M_P means the
     * same order in both. */
    *out_status = cosma_planner_bounds(graph, mode, time_limit * 0.25, out_bounds, diag);
    if (*out_status != COSMA_OK)
        return 1;
    if (out_bounds->stopped_by_clock)
        cosma_diag_report(diag, COSMA_SEV_WARNING,
                          "the time limit cut the search for M_P short: %s is from the best order found so far", text);
    *out_bytes = base[2] == 'R' ? out_bounds->m_r : base[2] == 'H' ? out_bounds->m_h : out_bounds->m_p_upper;
    return 1;
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
        } else if (name[0] == '-' && name[1] != '\0') {
            return cli_usage_error("plan", "unknown option '%s'", name);
        } else if (path == NULL) {
            path = name;
            continue;
        } else {
            return cli_usage_error("plan", "unexpected argument '%s'", name);
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
        return cli_usage_error("plan", "--method must be auto, ilp or dc, not '%s'", method_text);
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
    cosma_mode_t mode = cli_mode(graph, &options);
    uint64_t budget = 0;
    cosma_bounds_t bounds = {0};
    int have_bounds = symbolic_budget(budget_text, graph, &mode, time_limit, &bounds, &budget, &diag, &status);
    if (!have_bounds) {
        status = COSMA_OK;
        if (!cli_parse_bytes(budget_text, &budget) || budget == 0) {
            cli_usage_error("plan", "--budget needs bytes (e.g. 802816, 2MiB, 1.5MB) or M_R, M_H, M_P; got '%s'",
                            budget_text);
            status = COSMA_ERR_USAGE;
        }
    }
    if (status == COSMA_OK && order_path != NULL) {
        order = malloc(((size_t)graph->n_ops + 1) * sizeof(int32_t));
        status = order == NULL ? COSMA_ERR_NOMEM : cli_read_order(order_path, graph, order, &diag);
    }
    if (status == COSMA_OK) {
        if (baseline != NULL) {
            status = cosma_baseline_plan(graph, &mode, budget, baseline, align, &plan, &diag);
        } else {
            cosma_plan_options_t plan_options;
            cosma_plan_options_init(&plan_options);
            plan_options.mode = mode;
            plan_options.budget_bytes = budget;
            plan_options.schedule = schedule;
            plan_options.method = method;
            plan_options.order = order;
            plan_options.time_limit = time_limit;
            plan_options.export_model = export_temp;
            plan_options.bounds = have_bounds && bounds.order != NULL ? &bounds : NULL;
            cli_progress_t progress;
            cli_progress_init(&progress, quiet);
            plan_options.progress = cli_progress_report;
            plan_options.progress_ctx = &progress;
            status = cosma_planner_plan(graph, &plan_options, &plan, &diag);
            cli_progress_end(&progress);
        }
    }
    if (status == COSMA_OK) {
        const char *paths[] = {output, summary_path, header_path, svg_path, export_path, export_temp};
        status = write_outputs(outs, graph, plan, paths, &diag);
    } else {
        cli_signals_track(NULL);
        cosma_outputs_destroy(outs);
    }
    if (status == COSMA_OK && (summary_path == NULL || strcmp(summary_path, "-") != 0)) {
        uint64_t traffic = plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
        printf("%s: %s plan (%s) within %llu bytes\n", graph->name, cosma_plan_status_name(plan->status),
               plan->method, (unsigned long long)budget);
        printf("  non-compulsory traffic %llu bytes (spill %llu, retrieve %llu), lower bound %llu\n",
               (unsigned long long)traffic, (unsigned long long)plan->traffic.spill_bytes,
               (unsigned long long)plan->traffic.retrieve_bytes, (unsigned long long)plan->lower_bound_bytes);
        printf("  compulsory traffic %llu bytes, scratchpad used %llu bytes, %.2f s\n",
               (unsigned long long)(plan->traffic.compulsory_load_bytes + plan->traffic.compulsory_store_bytes),
               (unsigned long long)plan->traffic.peak_bytes, plan->solve_seconds);
        printf("  plan written to %s\n", output);
    }
    free(order);
    cosma_bounds_free(&bounds);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return cli_exit_code(status, &diag);
}
