/* cli.h: helpers shared by the `cosma` subcommands (argument parsing,
 * the stderr diagnostics sink, loading graphs).  No planning logic. */
#ifndef COSMA_CLI_H
#define COSMA_CLI_H

#include <signal.h>
#include <stdio.h>

#include <cosma/frontend.h>
#include <cosma/ir.h>
#include <cosma/planner.h>

/* Exit codes of the command. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_NO_RESULT = 1, CLI_EXIT_BAD_INPUT = 2, CLI_EXIT_FAILURE = 3 };

/* A diagnostics sink that prints "cosma: error: ..." to stderr. */
cosma_diag_t cli_diag_stderr(void);

/* Matches argv[*i] against a flag without value. */
int cli_flag(char **argv, int *i, const char *name);
/* Matches "--name VALUE" or "--name=VALUE"; on a missing value sets
 * *out_value to NULL and returns 1 (the caller reports it). */
int cli_option(int argc, char **argv, int *i, const char *name, const char **out_value);

/* Strict number parsing: the whole text must be a number in range. */
int cli_parse_u32(const char *text, uint32_t *out_value);
int cli_parse_u64(const char *text, uint64_t *out_value);
int cli_parse_double(const char *text, double *out_value);
/* Bytes with an optional unit: B, KB, KiB, MB, MiB, GB, GiB. */
int cli_parse_bytes(const char *text, uint64_t *out_value);
/* --method: auto, ilp or dc. */
int cli_parse_method(const char *text, cosma_method_t *out_method);

/* The paper's symbolic budgets: 'R', 'H' or 'P' when text is M_R, M_H or
 * M_P, or one of them with a 'p' suffix (*out_params set: M_Rp, M_Hp,
 * M_Pp); 0 when it is none of them. */
int cli_budget_symbol(const char *text, int *out_params);
/* The bytes a symbol of cli_budget_symbol stands for in these bounds. */
uint64_t cli_budget_bytes(const cosma_bounds_t *bounds, int symbol);
/* Share of the time limit the bounds behind a symbolic budget may take. */
#define CLI_BUDGET_BOUNDS_SHARE 0.25

/* Common options of graph-reading commands. */
typedef struct {
    uint32_t elem_bytes;   /* 0 = not given */
    int elem_bytes_given;
    int with_params;
    cosma_dim_binding_t dims[32];
    int32_t n_dims;
} cli_graph_options_t;

/* Consumes --elem-bytes N, --params, --dim NAME=VALUE at argv[*i]; returns
 * 1 if it did, 0 if the argument is something else, -1 on a bad value. */
int cli_graph_option(int argc, char **argv, int *i, cli_graph_options_t *options, cosma_diag_t *diag);
/* Loads a YAML or ONNX graph. */
cosma_status_t cli_load_graph(const char *path, const cli_graph_options_t *options, cosma_graph_t **out_graph,
                              cosma_diag_t *diag);
/* The exit code for a status; reports "out of memory" (or the status)
 * when a failure reached the command without any message. */
int cli_exit_code(cosma_status_t status, cosma_diag_t *diag);
/* The accounting mode for a loaded graph under the options. */
cosma_mode_t cli_mode(const cosma_graph_t *graph, const cli_graph_options_t *options);

/* Reads an order file (one operator name per line; blank lines and lines
 * starting with '#' ignored) into out_order (n_ops entries). */
cosma_status_t cli_read_order(const char *path, const cosma_graph_t *graph, int32_t *out_order, cosma_diag_t *diag);

/* An argument that no option took: it fills the first empty slot
 * (*slots[k] == NULL) of the command's operands, in order.  Returns
 * CLI_EXIT_OK, or the usage error's exit code for an unknown option or an
 * operand beyond the last slot. */
int cli_operand(const char *command, const char *arg, const char **const *slots, int n_slots);

int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Blocks SIGINT, SIGTERM, SIGHUP and SIGQUIT (a commit of outputs then
 * completes or is undone before one takes effect) / restores the mask. */
void cli_signals_defer(sigset_t *out_old);
void cli_signals_restore(const sigset_t *old);
/* Makes those signals remove temp (a file that exists while the planner
 * runs) before they end the process; NULL restores the default. */
void cli_signals_track(const char *temp);
/* Flushes standard output: a write error turns a success into exit 2. */
int cli_finish_stdout(int code);

/* The progress line of a solve (cli_progress.c): pass cli_progress_report
 * and the state as the planner's progress callback. */
typedef struct {
    int enabled, terminal, shown;
    double last; /* elapsed seconds at the last line */
} cli_progress_t;
void cli_progress_init(cli_progress_t *progress, int quiet);
void cli_progress_report(void *ctx, const cosma_progress_t *progress);
/* Clears a line still shown on a terminal (call when the solve returns). */
void cli_progress_end(cli_progress_t *progress);

/* A solve supervised from the command's thread (cli_solve.c): the job runs
 * on a worker thread; SIGINT, SIGTERM or SIGHUP, or the time limit plus a
 * small overrun, end the wait with the best plan the job offered. */
typedef struct cli_solve cli_solve_t;
typedef cosma_status_t (*cli_job_fn)(void *job, cli_solve_t *solve);
typedef enum {
    CLI_SOLVE_FINISHED,    /* the job returned: *out_status is its status */
    CLI_SOLVE_INTERRUPTED, /* a signal (*out_signal) came first */
    CLI_SOLVE_TIMED_OUT    /* the time limit passed first */
} cli_solve_end_t;
/* Runs job(job_ctx, solve) and waits.  Unless it returns
 * CLI_SOLVE_FINISHED the worker is still running and uses job_ctx: the
 * caller writes *out_best (NULL: none offered; the caller owns it) and
 * ends the process without freeing what the job uses.  After
 * CLI_SOLVE_FINISHED *out_signal is a signal that arrived as the job
 * finished (0: none), for the caller to honour once its outputs are out. */
cli_solve_end_t cli_solve_run(cli_job_fn job, void *job_ctx, double started, double time_limit, int quiet,
                              cosma_status_t *out_status, cosma_plan_t **out_best, int *out_signal);
/* Points the planner's progress and plan callbacks at the supervisor. */
void cli_solve_hook(cli_solve_t *solve, cosma_plan_options_t *options);

/* Subcommands: each returns the process exit code. */
int cli_cmd_info(int argc, char **argv);
int cli_cmd_import(int argc, char **argv);
int cli_cmd_plan(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);
int cli_cmd_arena(int argc, char **argv);
int cli_cmd_sweep(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_calibrate(int argc, char **argv);

#endif /* COSMA_CLI_H */
