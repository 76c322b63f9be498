/* runtime.h: executes a plan (docs/runtime.md).  One arena of the plan's
 * budget stands for the scratchpad, host memory for off-chip memory; the
 * plan is checked by the verifier when it is opened, every copy it asks for
 * is made and no other, and the default kernel lets the caller prove that
 * the data arrived intact.  Backends: "cpu" (always built) and "cuda"
 * (where the CUDA Toolkit was found at build time). */
#ifndef COSMA_RUNTIME_H
#define COSMA_RUNTIME_H

#include <stdint.h>

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { COSMA_BACKEND_CPU = 0, COSMA_BACKEND_CUDA } cosma_backend_t;

/* How the events are issued.  On cuda: GRAPH captures the whole run as one
 * multi-stream CUDA graph (instantiated once, replayed), STREAMS issues it
 * on three streams (uploads, kernels, downloads) joined by events, SERIAL
 * issues every event in plan order on one stream.  On cpu, SERIAL runs in
 * plan order and GRAPH / STREAMS interleave the three lanes in a seeded
 * pseudo-random order that the dependency graph allows (which tests it). */
typedef enum { COSMA_RUN_GRAPH = 0, COSMA_RUN_STREAMS, COSMA_RUN_SERIAL } cosma_run_mode_t;

const char *cosma_backend_name(cosma_backend_t backend);
const char *cosma_run_mode_name(cosma_run_mode_t mode);
/* Return 0 and set the out-parameter when name is known, else -1. */
int cosma_backend_parse(const char *name, cosma_backend_t *out_backend);
int cosma_run_mode_parse(const char *name, cosma_run_mode_t *out_mode);
/* Whether this build has the backend (cuda: the toolkit was found). */
int cosma_backend_available(cosma_backend_t backend);
/* Devices of the backend here: cpu 1; cuda the visible GPUs (0 without a
 * driver, a GPU or the backend). */
int cosma_backend_devices(cosma_backend_t backend);

typedef struct {
    cosma_backend_t backend;
    cosma_run_mode_t mode;
    uint64_t seed;      /* fills unbound inputs and parameters; lane order on cpu */
    uint64_t align;     /* every offset must be a multiple (1 = any) */
    int check_all;      /* compare every operand with the reference when it is read */
    int poison;         /* overwrite freed scratchpad bytes so stale reads cannot pass */
    int profile;        /* cuda: record CUPTI activity for the report */
    int device;         /* cuda device ordinal */
    /* Test-only fault injection: skip the n-th load (1-based, in plan
     * order) of every run; 0 = none.  Exists so the tests can show that
     * the integrity check catches a runtime that misses a copy. */
    int32_t test_skip_load;
} cosma_runtime_options_t;

void cosma_runtime_options_init(cosma_runtime_options_t *options);

/* ---- kernels ---------------------------------------------------------- */

/* What a kernel gets: its operands' pointers (device pointers on cuda for
 * resident operands, host pointers for operands that are not in the
 * scratchpad; NULL for an empty optional input), their sizes, and the
 * stream to launch on (a cudaStream_t on cuda, NULL on cpu).  On cuda, in
 * graph mode, a kernel is called while the run is being captured: it must
 * only enqueue work on the stream. */
typedef struct {
    const cosma_graph_t *graph;
    int32_t op;   /* operator index in the graph */
    int32_t step; /* 1-based */
    int32_t n_inputs, n_outputs;
    const void *const *inputs;
    const uint64_t *input_bytes;
    void *const *outputs;
    const uint64_t *output_bytes;
    void *stream;
} cosma_kernel_args_t;

typedef cosma_status_t (*cosma_kernel_fn_t)(const cosma_kernel_args_t *args, void *user);

/* The default kernel on the host, used for every operator type nobody
 * registered: it reads every byte of every input and writes every byte of
 * every output, each output a deterministic function of the operator and
 * of all its input bytes (the cuda backend computes the same bytes). */
cosma_status_t cosma_kernel_default_host(const cosma_kernel_args_t *args, void *user);

/* ---- the runtime ------------------------------------------------------ */

typedef struct cosma_runtime cosma_runtime_t;

/* Per-run figures, from the runtime's own counters. */
typedef struct {
    uint64_t planned_h2d_bytes, planned_d2h_bytes; /* loads; spills + stores */
    uint64_t h2d_bytes, d2h_bytes;                 /* what the runtime issued */
    int64_t n_h2d, n_d2h, n_kernels;
    double wall_seconds; /* issue to completion of the last run */
    int64_t n_runs;
    int integrity_failed; /* a check found a tensor that differs from the reference */
} cosma_run_stats_t;

/* Opens a plan: verifies it against the graph (graph hash, offsets within
 * the budget, alignment, no overlap, every rule of the model), allocates
 * the arena (one allocation of the budget) and the host buffers (one
 * allocation, pinned on cuda), and compiles the dependency graph.  graph
 * and plan must outlive the runtime.  COSMA_ERR_INPUT for a plan that
 * fails verification, COSMA_ERR_USAGE for a backend this build lacks. */
cosma_status_t cosma_runtime_open(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                  const cosma_runtime_options_t *options, cosma_runtime_t **out_runtime,
                                  cosma_diag_t *diag);
void cosma_runtime_close(cosma_runtime_t *runtime);

/* Uses a kernel for every operator of a type (e.g. "Conv"). */
cosma_status_t cosma_runtime_set_kernel(cosma_runtime_t *runtime, const char *op_type, cosma_kernel_fn_t kernel,
                                        void *user, cosma_diag_t *diag);
/* Copies the bytes of a graph input or parameter into its host buffer
 * (bytes must equal its size).  Unbound ones hold seeded pseudo-random
 * bytes. */
cosma_status_t cosma_runtime_bind(cosma_runtime_t *runtime, const char *tensor, const void *data, uint64_t bytes,
                                  cosma_diag_t *diag);
/* Switches the mode of the following runs: the same arena, host buffers
 * and dependency graph, so that modes can be compared run for run (cuda:
 * graph mode captures the run at its first use).  COSMA_ERR_USAGE for a
 * mode that does not exist. */
cosma_status_t cosma_runtime_set_mode(cosma_runtime_t *runtime, cosma_run_mode_t mode, cosma_diag_t *diag);
/* Executes the plan once.  Every backend call is checked; a failure names
 * the call, the step and the tensor.  With check_all, a differing operand
 * is COSMA_ERR_INTERNAL naming the tensor and the step. */
cosma_status_t cosma_runtime_run(cosma_runtime_t *runtime, cosma_diag_t *diag);
/* The host copy of a graph output after a run (owned by the runtime). */
cosma_status_t cosma_runtime_output(const cosma_runtime_t *runtime, const char *tensor, const void **out_data,
                                    uint64_t *out_bytes, cosma_diag_t *diag);
/* Compares every graph output with a reference execution with unlimited
 * memory (every tensor in its own buffer, default or registered host
 * kernels); COSMA_ERR_INTERNAL naming the first differing output. */
cosma_status_t cosma_runtime_check_outputs(cosma_runtime_t *runtime, cosma_diag_t *diag);
const cosma_run_stats_t *cosma_runtime_stats(const cosma_runtime_t *runtime);

/* ---- cost model, calibration, report ---------------------------------- */

/* Copy time = latency + bytes / bandwidth per direction; while both
 * directions copy at once a copy takes its direction's duplex slowdown
 * times as long per byte.  A node that waits for a node of another lane
 * starts dependency_seconds after that node ends at the earliest; a kernel
 * that waits on another lane costs wait_seconds more even when the wait is
 * already satisfied, and signal_seconds more again when a node of another
 * lane also waits for it.  Beyond its kernels' own time an operator costs
 * kernel_gap_seconds when replayed from a CUDA graph (the gap between
 * back-to-back kernels), and at least launch_seconds per kernel launch
 * when issued from the host (streams and serial mode). */
typedef struct {
    char backend[16];
    double h2d_latency_seconds, h2d_bytes_per_second;
    double d2h_latency_seconds, d2h_bytes_per_second;
    double h2d_duplex_slowdown, d2h_duplex_slowdown;
    double dependency_seconds;
    double wait_seconds, signal_seconds;
    double kernel_gap_seconds;
    double launch_seconds;
} cosma_cost_model_t;

/* A placeholder until calibrated: the H200 figures of docs/runtime.md. */
void cosma_cost_model_init(cosma_cost_model_t *model);
cosma_status_t cosma_cost_model_write(const cosma_cost_model_t *model, const char *path, cosma_diag_t *diag);
cosma_status_t cosma_cost_model_read(const char *path, cosma_cost_model_t *out_model, cosma_diag_t *diag);

/* Measures the model on a backend (cuda: pinned copies of 4 KiB..64 MiB
 * each way, both ways at once, chains of dependent copies). */
cosma_status_t cosma_runtime_calibrate(cosma_backend_t backend, int device, cosma_cost_model_t *out_model,
                                       cosma_diag_t *diag);

/* The plan versus what the last profiled run did: JSON at json_path, a
 * Markdown summary at json_path with ".md" and an SVG timeline with ".svg"
 * in place of ".json".  Actual bytes come from CUPTI on cuda where it was
 * available, from the runtime's counters otherwise (the report says
 * which).  COSMA_ERR_INTERNAL when actual bytes differ from the plan's
 * (the files are written first). */
cosma_status_t cosma_runtime_write_report(cosma_runtime_t *runtime, const cosma_cost_model_t *model,
                                          const char *json_path, cosma_diag_t *diag);
/* The figures of the report, in total.  predicted: the makespan of the
 * dependency graph simulated on the three lanes with the model and the
 * last run's kernel times; lower bound: the largest of the model's total
 * upload time, total download time and the total kernel time. */
typedef struct {
    uint64_t planned_h2d_bytes, actual_h2d_bytes, planned_d2h_bytes, actual_d2h_bytes;
    int64_t h2d_copies, d2h_copies;
    double h2d_seconds, d2h_seconds, kernel_seconds; /* sums over copies / kernels */
    double wall_seconds, predicted_seconds, lower_bound_seconds;
    int64_t big_copies;          /* copies of 1 MiB or more, with measured times */
    int64_t big_copies_at_90;    /* those at 90% of the calibrated bandwidth or more */
    double big_copy_min_ratio;   /* their lowest achieved / calibrated bandwidth */
    double big_copy_mean_ratio;
    int64_t big_copies_at_90_of_model; /* those at 90% or more of the model's rate for their size
                                          (bytes / (latency + bytes / bandwidth)) */
    int64_t cross_lane_waits;    /* dependencies across lanes that a run resolves */
    int bytes_match;             /* every copy moved exactly its planned bytes */
    int from_cupti;
} cosma_run_figures_t;

cosma_status_t cosma_runtime_figures(const cosma_runtime_t *runtime, const cosma_cost_model_t *model,
                                     cosma_run_figures_t *out_figures);
/* Whether the next runs record CUPTI activity (cuda; ignored on cpu). */
void cosma_runtime_set_profiling(cosma_runtime_t *runtime, int on);

/* ---- static plans (a header written by cosma plan --emit-c) ---------- */

/* The types of a generated header.  The one definition: cosma plan
 * --emit-c copies the text between the markers into every header it writes
 * (CMakeLists.txt embeds it in codegen/c_header.c), guarded so that headers
 * and this file may be included in any order. */
/* cosma-plan-types-begin */
#ifndef COSMA_PLAN_TYPES_V1
#define COSMA_PLAN_TYPES_V1
#define COSMA_PLAN_NO_OFFSET UINT64_MAX /* operand not in the scratchpad */
typedef enum {
    COSMA_EVENT_SPILL = 0,
    COSMA_EVENT_DROP = 1,
    COSMA_EVENT_LOAD = 2,
    COSMA_EVENT_RUN = 3,
    COSMA_EVENT_STORE = 4
} cosma_plan_event_kind_t;
typedef struct {
    cosma_plan_event_kind_t kind;
    int32_t index;      /* tensor; operator for COSMA_EVENT_RUN */
    uint64_t offset;    /* scratchpad byte offset (0 for RUN) */
    uint64_t bytes;     /* bytes moved or freed (0 for RUN) */
    int32_t compulsory; /* LOAD: the first load of an input or parameter */
} cosma_plan_event_t;
typedef struct {
    int32_t tensor;     /* -1: an empty optional input */
    int32_t is_output;
    uint64_t offset;    /* COSMA_PLAN_NO_OFFSET: not resident (a streamed parameter) */
} cosma_plan_operand_t;
#endif
/* cosma-plan-types-end */

/* The tables of one generated header. */
typedef struct {
    const char *name; /* the graph's name */
    uint64_t graph_hash, budget_bytes;
    int params;
    uint32_t elem_bytes;
    int32_t n_steps, n_ops, n_tensors;
    uint32_t n_events, n_operands;
    const char *const *op_names;
    const int32_t *schedule;
    const char *const *tensor_names;
    const uint64_t *tensor_bytes;
    const cosma_plan_event_t *events;
    const uint32_t *step_events;
    const cosma_plan_operand_t *operands;
    const uint32_t *step_operands;
} cosma_static_plan_t;

/* Fills a cosma_static_plan_t from a generated header's names: ID is the
 * array prefix (cosma_tiny), MACRO the macro prefix (COSMA_TINY). */
#define COSMA_STATIC_PLAN(NAME, ID, MACRO)                                                                   \
    {                                                                                                        \
        .name = NAME, .graph_hash = MACRO##_GRAPH_HASH, .budget_bytes = MACRO##_BUDGET_BYTES,                \
        .params = MACRO##_PARAMS, .elem_bytes = MACRO##_ELEM_BYTES, .n_steps = MACRO##_N_STEPS,              \
        .n_ops = MACRO##_N_OPS, .n_tensors = MACRO##_N_TENSORS, .n_events = MACRO##_N_EVENTS,                \
        .n_operands = MACRO##_N_OPERANDS, .op_names = ID##_op_names, .schedule = ID##_schedule,              \
        .tensor_names = ID##_tensor_names, .tensor_bytes = ID##_tensor_bytes, .events = ID##_events,         \
        .step_events = ID##_step_events, .operands = ID##_operands, .step_operands = ID##_step_operands      \
    }

/* A graph and a plan rebuilt from a static plan's tables (tensors sized in
 * bytes, kinds inferred from the events: loaded first = input, stored =
 * output, streamed = parameter of size 0 until bound), whose schedule must
 * reproduce the tables event for event.  The caller destroys both, after
 * closing any runtime opened on them.  Sizes of streamed parameters are
 * unknown to a header: give them in param_bytes (n_tensors entries, 0 for
 * the others) or NULL when there are none. */
cosma_status_t cosma_static_plan_load(const cosma_static_plan_t *tables, const uint64_t *param_bytes,
                                      cosma_graph_t **out_graph, cosma_plan_t **out_plan, cosma_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_RUNTIME_H */
