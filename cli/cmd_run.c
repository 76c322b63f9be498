/* cmd_run.c: `cosma run GRAPH PLAN`: executes a plan with the runtime on
 * the cpu or cuda backend, compares every graph output with a reference
 * execution with unlimited memory, checks that the bytes moved are the
 * planned bytes, and reports plan versus actual. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include <cosma/codegen.h>
#include <cosma/runtime.h>

#define RUN_MAX_REPEAT 1000
#define RUN_MAX_MODES 8 /* entries of a --mode list */

static const char usage[] =
    "usage: cosma run GRAPH.yaml|MODEL.onnx PLAN.json [options]\n\n"
    "Executes a plan: one arena of the plan's budget, explicit copies, the default\n"
    "integrity kernel for every operator; compares every graph output with a\n"
    "reference execution with unlimited memory and the bytes moved with the plan's.\n"
    "  --backend cpu|cuda   where to run (default cpu)\n"
    "  --mode graph|streams|serial[,...]\n"
    "                       cuda: one captured multi-stream CUDA graph (default),\n"
    "                       three streams with events, or plan order on one stream;\n"
    "                       cpu: lanes interleaved in a seeded order, or plan order;\n"
    "                       a list (a mode may repeat) runs them in turn on the same\n"
    "                       memory, each run of every entry interleaved, one summary\n"
    "                       per entry (--report: the first entry)\n"
    "  --check-all          also compare every operand each time an operator reads it\n"
    "  --poison             overwrite freed scratchpad bytes\n"
    "  --repeat N           timed runs (default 1); the wall time is their median\n"
    "  --warmup N           untimed runs first (default 1 on cuda, 0 on cpu)\n"
    "  --report FILE.json   plan versus actual: FILE.json, FILE.md and FILE.svg\n"
    "  --cost COST.json     cost model for the prediction (from cosma calibrate;\n"
    "                       default: the H200 figures of docs/runtime.md)\n"
    "  --json               print the summary as one JSON object\n"
    "  --seed N             content of unbound inputs and parameters (default 1)\n"
    "  --align N            refuse offsets that are not multiples of N\n"
    "  --device N           cuda device (default 0)\n"
    "  --skip-load N        TEST ONLY: skip the N-th load of every run (fault injection)\n"
    "  --dim NAME=VALUE     bind a symbolic ONNX dimension (repeatable)\n\n"
    "Exit status: 0 outputs and bytes as planned, 1 an output or a byte count differs,\n"
    "2 bad usage, unreadable input or a plan refused at open, 3 a backend failure.\n";

typedef struct {
    cosma_runtime_options_t runtime;
    cli_graph_options_t graph;
    const char *graph_path, *plan_path, *report_path, *cost_path;
    uint32_t repeat, warmup;
    int warmup_given, json;
    cosma_run_mode_t modes[RUN_MAX_MODES];
    int n_modes;
} run_args_t;

static int parse_number(const char *name, const char *value, uint64_t max, uint64_t *out)
{
    if (value == NULL)
        return cli_usage_error("run", "%s needs a value", name);
    if (!cli_parse_u64(value, out) || *out > max)
        return cli_usage_error("run", "%s: '%s' is not a number from 0 to %" PRIu64, name, value, max);
    return CLI_EXIT_OK;
}

/* "graph,streams,serial": 0, or -1 for a name that is no mode or too many. */
static int parse_modes(const char *list, run_args_t *a)
{
    a->n_modes = 0;
    for (const char *at = list;; at++) {
        const char *comma = strchr(at, ',');
        size_t length = comma != NULL ? (size_t)(comma - at) : strlen(at);
        char name[16];
        if (a->n_modes == RUN_MAX_MODES || length >= sizeof name)
            return -1;
        memcpy(name, at, length);
        name[length] = '\0';
        if (cosma_run_mode_parse(name, &a->modes[a->n_modes++]) != 0)
            return -1;
        if (comma == NULL)
            break;
        at = comma;
    }
    a->runtime.mode = a->modes[0];
    return 0;
}

/* One option at argv[*i]: 0 taken, -1 not an option of run, else an exit code. */
static int parse_option(int argc, char **argv, int *i, run_args_t *a)
{
    const char *value = NULL;
    uint64_t number = 0;
    int rc;
    if (cli_flag(argv, i, "--check-all"))
        a->runtime.check_all = 1;
    else if (cli_flag(argv, i, "--poison"))
        a->runtime.poison = 1;
    else if (cli_flag(argv, i, "--json"))
        a->json = 1;
    else if (cli_option(argc, argv, i, "--backend", &value)) {
        if (value == NULL || cosma_backend_parse(value, &a->runtime.backend) != 0)
            return cli_usage_error("run", "--backend takes cpu or cuda");
    } else if (cli_option(argc, argv, i, "--mode", &value)) {
        if (value == NULL || parse_modes(value, a) != 0)
            return cli_usage_error("run", "--mode takes graph, streams or serial, or a list of up to %d of them "
                                          "separated by commas", RUN_MAX_MODES);
    } else if (cli_option(argc, argv, i, "--report", &value)) {
        if ((a->report_path = value) == NULL)
            return cli_usage_error("run", "--report needs a file");
    } else if (cli_option(argc, argv, i, "--cost", &value)) {
        if ((a->cost_path = value) == NULL)
            return cli_usage_error("run", "--cost needs a file");
    } else if (cli_option(argc, argv, i, "--repeat", &value)) {
        if ((rc = parse_number("--repeat", value, RUN_MAX_REPEAT, &number)) != CLI_EXIT_OK)
            return rc;
        if (number == 0)
            return cli_usage_error("run", "--repeat must be at least 1");
        a->repeat = (uint32_t)number;
    } else if (cli_option(argc, argv, i, "--warmup", &value)) {
        if ((rc = parse_number("--warmup", value, RUN_MAX_REPEAT, &number)) != CLI_EXIT_OK)
            return rc;
        a->warmup = (uint32_t)number;
        a->warmup_given = 1;
    } else if (cli_option(argc, argv, i, "--seed", &value)) {
        if ((rc = parse_number("--seed", value, UINT64_MAX, &a->runtime.seed)) != CLI_EXIT_OK)
            return rc;
    } else if (cli_option(argc, argv, i, "--align", &value)) {
        if ((rc = parse_number("--align", value, UINT32_MAX, &a->runtime.align)) != CLI_EXIT_OK)
            return rc;
        if (a->runtime.align == 0)
            return cli_usage_error("run", "--align must be at least 1");
    } else if (cli_option(argc, argv, i, "--device", &value)) {
        if ((rc = parse_number("--device", value, 1024, &number)) != CLI_EXIT_OK)
            return rc;
        a->runtime.device = (int)number;
    } else if (cli_option(argc, argv, i, "--skip-load", &value)) {
        if ((rc = parse_number("--skip-load", value, INT32_MAX, &number)) != CLI_EXIT_OK)
            return rc;
        a->runtime.test_skip_load = (int32_t)number;
    } else
        return -1;
    return 0;
}

static int parse_args(int argc, char **argv, run_args_t *a, cosma_diag_t *diag)
{
    memset(a, 0, sizeof *a);
    cosma_runtime_options_init(&a->runtime);
    a->repeat = 1;
    a->modes[0] = a->runtime.mode;
    a->n_modes = 1;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv, &i, "--help") || cli_flag(argv, &i, "-h")) {
            fputs(usage, stdout);
            return -1;
        }
        int rc = parse_option(argc, argv, &i, a);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        int taken = cli_graph_option(argc, argv, &i, &a->graph, diag);
        if (taken < 0)
            return CLI_EXIT_BAD_INPUT;
        if (taken > 0) {
            if (a->graph.with_params || a->graph.elem_bytes_given)
                return cli_usage_error("run", "the plan records its mode: --params and --elem-bytes do not apply");
            continue;
        }
        const char **operands[] = {&a->graph_path, &a->plan_path};
        int code = cli_operand("run", argv[i], operands, 2);
        if (code != CLI_EXIT_OK)
            return code;
    }
    if (a->graph_path == NULL || a->plan_path == NULL)
        return cli_usage_error("run", "missing the %s file", a->graph_path == NULL ? "graph" : "plan");
    if (!a->warmup_given)
        a->warmup = a->runtime.backend == COSMA_BACKEND_CUDA ? 1 : 0;
    return CLI_EXIT_OK;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double median, min;
    int outputs_match;
    cosma_run_figures_t figures;
} run_result_t;

/* Warm-up and timed runs, each round running every --mode entry once (the
 * first entry rotating, so that none always runs first); walls[k] gets
 * entry k's timed runs. */
static cosma_status_t timed_runs(cosma_runtime_t *rt, const run_args_t *a, double **walls, cosma_diag_t *diag)
{
    cosma_status_t status = COSMA_OK;
    cosma_runtime_set_profiling(rt, 0);
    for (uint32_t r = 0; r < a->warmup + a->repeat && status == COSMA_OK; r++)
        for (int j = 0; j < a->n_modes && status == COSMA_OK; j++) {
            int k = (int)((r + (uint32_t)j) % (uint32_t)a->n_modes);
            status = cosma_runtime_set_mode(rt, a->modes[k], diag);
            if (status == COSMA_OK)
                status = cosma_runtime_run(rt, diag);
            if (status == COSMA_OK && r >= a->warmup)
                walls[k][r - a->warmup] = cosma_runtime_stats(rt)->wall_seconds;
        }
    return status;
}

/* Entry k's result: (on cuda) one profiled run, the outputs compared with
 * the reference, the figures, and the report of the first entry. */
static cosma_status_t entry_result(cosma_runtime_t *rt, const run_args_t *a, const cosma_cost_model_t *model,
                                   int k, double *walls, run_result_t *out, cosma_diag_t *diag)
{
    cosma_status_t status = cosma_runtime_set_mode(rt, a->modes[k], diag);
    if (status == COSMA_OK && a->runtime.backend == COSMA_BACKEND_CUDA) {
        cosma_runtime_set_profiling(rt, 1);
        status = cosma_runtime_run(rt, diag);
        cosma_runtime_set_profiling(rt, 0);
    }
    if (status != COSMA_OK)
        return status;
    qsort(walls, a->repeat, sizeof(double), compare_doubles);
    out->min = walls[0];
    out->median = walls[a->repeat / 2];
    cosma_status_t check = cosma_runtime_check_outputs(rt, diag);
    out->outputs_match = check == COSMA_OK;
    if (check != COSMA_OK && check != COSMA_ERR_INTERNAL)
        return check;
    status = cosma_runtime_figures(rt, model, &out->figures);
    if (status == COSMA_OK && k == 0 && a->report_path != NULL) {
        status = cosma_runtime_write_report(rt, model, a->report_path, diag);
        if (status == COSMA_ERR_INTERNAL) /* bytes that differ: the summary says so */
            status = COSMA_OK;
    }
    return status;
}

static cosma_status_t execute(cosma_runtime_t *rt, const run_args_t *a, const cosma_cost_model_t *model,
                              run_result_t *out, cosma_diag_t *diag)
{
    double *walls[RUN_MAX_MODES];
    cosma_status_t status = COSMA_OK;
    for (int k = 0; k < a->n_modes; k++)
        if ((walls[k] = calloc(a->repeat, sizeof(double))) == NULL)
            status = COSMA_ERR_NOMEM;
    if (status == COSMA_OK)
        status = timed_runs(rt, a, walls, diag);
    for (int k = 0; k < a->n_modes && status == COSMA_OK; k++)
        status = entry_result(rt, a, model, k, walls[k], &out[k], diag);
    for (int k = 0; k < a->n_modes; k++)
        free(walls[k]);
    return status;
}

static void print_summary(const cosma_graph_t *graph, const run_args_t *a, cosma_run_mode_t run_mode,
                          const run_result_t *r)
{
    const cosma_run_figures_t *f = &r->figures;
    const char *backend = cosma_backend_name(a->runtime.backend), *mode = cosma_run_mode_name(run_mode);
    if (a->json) {
        printf("{\"graph\": \"%s\", \"backend\": \"%s\", \"mode\": \"%s\", \"runs\": %" PRIu32
               ", \"outputs_match\": %s, \"bytes_match\": %s, \"cupti\": %s, \"planned_h2d_bytes\": %" PRIu64
               ", \"actual_h2d_bytes\": %" PRIu64 ", \"planned_d2h_bytes\": %" PRIu64 ", \"actual_d2h_bytes\": %" PRIu64
               ", \"h2d_copies\": %" PRId64 ", \"d2h_copies\": %" PRId64
               ", \"wall_seconds\": %.9f, \"wall_min_seconds\": %.9f, \"profiled_wall_seconds\": %.9f"
               ", \"predicted_seconds\": %.9f, \"lower_bound_seconds\": %.9f, \"kernel_seconds\": %.9f"
               ", \"h2d_seconds\": %.9f, \"d2h_seconds\": %.9f, \"big_copies\": %" PRId64
               ", \"big_copies_at_90\": %" PRId64
               ", \"big_copy_min_bandwidth_ratio\": %.4f, \"big_copy_mean_bandwidth_ratio\": %.4f"
               ", \"big_copies_at_90_of_model\": %" PRId64 ", \"cross_lane_waits\": %" PRId64 "}\n",
               graph->name, backend, mode, a->repeat, r->outputs_match ? "true" : "false",
               f->bytes_match ? "true" : "false", f->from_cupti ? "true" : "false", f->planned_h2d_bytes,
               f->actual_h2d_bytes, f->planned_d2h_bytes, f->actual_d2h_bytes, f->h2d_copies, f->d2h_copies, r->median,
               r->min, f->wall_seconds, f->predicted_seconds, f->lower_bound_seconds, f->kernel_seconds, f->h2d_seconds,
               f->d2h_seconds, f->big_copies, f->big_copies_at_90, f->big_copy_min_ratio, f->big_copy_mean_ratio,
               f->big_copies_at_90_of_model, f->cross_lane_waits);
        return;
    }
    printf("ran '%s' on %s (%s mode): outputs %s the reference; bytes %s the plan\n", graph->name, backend, mode,
           r->outputs_match ? "identical to" : "DIFFER from", f->bytes_match ? "equal to" : "DIFFER from");
    printf("  host to device        %" PRIu64 " bytes planned, %" PRIu64 " moved in %" PRId64 " copies\n",
           f->planned_h2d_bytes, f->actual_h2d_bytes, f->h2d_copies);
    printf("  device to host        %" PRIu64 " bytes planned, %" PRIu64 " moved in %" PRId64 " copies\n",
           f->planned_d2h_bytes, f->actual_d2h_bytes, f->d2h_copies);
    printf("  wall time             %.3f ms (median of %" PRIu32 "), predicted %.3f ms, lower bound %.3f ms\n",
           1e3 * r->median, a->repeat, 1e3 * f->predicted_seconds, 1e3 * f->lower_bound_seconds);
}

static int run_plan(const run_args_t *a, const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_diag_t *diag)
{
    cosma_cost_model_t model;
    cosma_cost_model_init(&model);
    cosma_status_t status = a->cost_path != NULL ? cosma_cost_model_read(a->cost_path, &model, diag) : COSMA_OK;
    if (status != COSMA_OK)
        return status == COSMA_ERR_IO ? CLI_EXIT_BAD_INPUT : cli_exit_code(status, diag);
    cosma_runtime_t *rt = NULL;
    status = cosma_runtime_open(graph, plan, &a->runtime, &rt, diag);
    if (status != COSMA_OK)
        return cli_exit_code(status, diag);
    run_result_t result[RUN_MAX_MODES];
    memset(result, 0, sizeof result);
    status = execute(rt, a, &model, result, diag);
    int exit_code = CLI_EXIT_OK;
    if (status == COSMA_OK) {
        int bytes_match = 1;
        for (int k = 0; k < a->n_modes; k++) {
            print_summary(graph, a, a->modes[k], &result[k]);
            if (!result[k].outputs_match || !result[k].figures.bytes_match)
                exit_code = CLI_EXIT_NO_RESULT;
            bytes_match &= result[k].figures.bytes_match;
        }
        if (!bytes_match && a->report_path == NULL)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "run: actual bytes differ from the plan's (see --report)");
    } else {
        /* An integrity check that failed mid-run is a result, not a crash. */
        exit_code = cosma_runtime_stats(rt)->integrity_failed ? CLI_EXIT_NO_RESULT : cli_exit_code(status, diag);
    }
    cosma_runtime_close(rt);
    return exit_code;
}

int cli_cmd_run(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    run_args_t args;
    int rc = parse_args(argc, argv, &args, &diag);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cosma_graph_t *graph = NULL;
    cosma_plan_t *plan = NULL;
    cosma_status_t status = cli_load_graph(args.graph_path, &args.graph, &graph, &diag);
    if (status == COSMA_OK)
        status = cosma_codegen_read_plan(args.plan_path, graph, &plan, &diag);
    int exit_code = status == COSMA_OK ? run_plan(&args, graph, plan, &diag)
                    : status == COSMA_ERR_IO ? CLI_EXIT_BAD_INPUT
                                             : cli_exit_code(status, &diag);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return exit_code;
}
