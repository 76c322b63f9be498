/* ir.h: the shared language of cosma: status codes, the diagnostics sink,
 * an arena, the graph (operators and tensors), and the plan.  Depends on
 * nothing but the C library; every other module builds on it. */
#ifndef COSMA_IR_H
#define COSMA_IR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cosma/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and diagnostics ------------------------------------------ */

typedef enum {
    COSMA_OK = 0,
    COSMA_ERR_USAGE,      /* bad arguments from the caller */
    COSMA_ERR_INPUT,      /* malformed or invalid input file / graph / plan */
    COSMA_ERR_INFEASIBLE, /* the requested result does not exist */
    COSMA_ERR_IO,         /* a file could not be read or written */
    COSMA_ERR_NOMEM,
    COSMA_ERR_SOLVER,     /* the solver failed (not: proved infeasible) */
    COSMA_ERR_INTERNAL    /* a bug: an invariant did not hold */
} cosma_status_t;

const char *cosma_status_name(cosma_status_t status);

/* Exit code of the command for a status: 0 ok, 1 infeasible, 2 bad usage
 * or bad input, 3 anything else. */
int cosma_status_exit_code(cosma_status_t status);

typedef enum { COSMA_SEV_ERROR, COSMA_SEV_WARNING, COSMA_SEV_NOTE } cosma_severity_t;

/* Library code never prints: it reports through a sink the caller owns. */
typedef struct {
    void (*emit)(void *ctx, cosma_severity_t severity, const char *message);
    void *ctx;
    int n_errors; /* counted by cosma_diag_report */
} cosma_diag_t;

/* Formats and forwards a message; a NULL sink or emit drops it. */
void cosma_diag_report(cosma_diag_t *diag, cosma_severity_t severity, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void cosma_diag_vreport(cosma_diag_t *diag, cosma_severity_t severity, const char *fmt, va_list ap);

/* A position in an input file; line and column are 1-based, 0 = unknown. */
typedef struct {
    const char *file;
    int line;
    int column;
} cosma_loc_t;

/* Reports "file:line:column: message" (or less where unknown). */
void cosma_diag_error_at(cosma_diag_t *diag, cosma_loc_t loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- arena ----------------------------------------------------------- */

/* Bump allocator for graph-sized data: everything is freed at once. */
typedef struct cosma_arena_block cosma_arena_block_t;
typedef struct {
    cosma_arena_block_t *head;
    size_t total_bytes;
} cosma_arena_t;

void cosma_arena_init(cosma_arena_t *arena);
void cosma_arena_free(cosma_arena_t *arena);
/* Zeroed, 16-byte aligned; NULL when out of memory. */
void *cosma_arena_alloc(cosma_arena_t *arena, size_t bytes);
void *cosma_arena_calloc(cosma_arena_t *arena, size_t count, size_t elem_bytes);
char *cosma_arena_strdup(cosma_arena_t *arena, const char *text);
char *cosma_arena_strndup(cosma_arena_t *arena, const char *text, size_t length);

/* ---- checked arithmetic ---------------------------------------------- */

/* Return 0 on success, nonzero on overflow (the result is then undefined). */
int cosma_u64_add(uint64_t a, uint64_t b, uint64_t *out_sum);
int cosma_u64_mul(uint64_t a, uint64_t b, uint64_t *out_product);

/* ---- utilities (one copy each, ir/util.c) ---------------------------- */

/* FNV-1a, 64 bits: start from COSMA_HASH_INIT and chain calls. */
#define COSMA_HASH_INIT 14695981039346656037ull
uint64_t cosma_hash_bytes(uint64_t hash, const void *data, size_t length);
uint64_t cosma_hash_string(uint64_t hash, const char *text); /* without the NUL */

/* value rounded up to a multiple of align (0 or 1: unchanged).  Saturates
 * at UINT64_MAX instead of wrapping, so an overflow never looks small. */
uint64_t cosma_align_up(uint64_t value, uint64_t align);

/* A deterministic pseudo-random sequence (xorshift64) for the seeded
 * searches: state must start nonzero, COSMA_RANDOM_SEED by default. */
#define COSMA_RANDOM_SEED 0x9E3779B97F4A7C15ull
uint64_t cosma_random_next(uint64_t *state);

/* Seconds on the monotonic clock (for deadlines; never in outputs). */
double cosma_clock_seconds(void);

/* Stable merge sort of an index array with a context-carrying comparison
 * (qsort has no context argument, and globals are not allowed).  Returns
 * 0, or -1 when out of memory (items unchanged). */
typedef int (*cosma_index_cmp_t)(const void *ctx, int32_t a, int32_t b);
int cosma_sort_indices(int32_t *items, int32_t n, cosma_index_cmp_t compare, const void *ctx);
/* The same with the caller's scratch of n entries (for hot loops). */
void cosma_sort_indices_in(int32_t *items, int32_t *scratch, int32_t n, cosma_index_cmp_t compare, const void *ctx);

/* Grows a malloc'd array to hold at least count elements (doubling, at
 * least 16).  Returns 0, or -1 when out of memory (array unchanged). */
int cosma_array_reserve(void **items, size_t *capacity, size_t count, size_t elem_bytes);

/* ---- UTF-8 ----------------------------------------------------------- */

/* Decodes one character at text (at most length bytes): returns its length
 * in bytes (1-4) and sets *out_codepoint, or 0 when the bytes there are not
 * strict UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
size_t cosma_utf8_decode(const char *text, size_t length, uint32_t *out_codepoint);
/* Offset of the first byte that is not valid UTF-8; length if all is. */
size_t cosma_utf8_invalid_at(const char *text, size_t length);

/* ---- text buffers and files ----------------------------------------- */

/* A growable text buffer; on allocation failure it sets failed and stops
 * growing, so writers check once at the end. */
typedef struct {
    char *data;
    size_t length, capacity;
    int failed;
} cosma_buf_t;

void cosma_buf_init(cosma_buf_t *buf);
void cosma_buf_free(cosma_buf_t *buf);
void cosma_buf_append(cosma_buf_t *buf, const char *text, size_t length);
void cosma_buf_puts(cosma_buf_t *buf, const char *text);
void cosma_buf_printf(cosma_buf_t *buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends text as a JSON string literal, quotes included; bytes that are
 * not UTF-8 become U+FFFD, so the output is always valid UTF-8. */
void cosma_buf_json_string(cosma_buf_t *buf, const char *text);
/* Appends at most max_chars characters of text, XML-escaped; invalid UTF-8
 * and control characters (not allowed in XML) become '?'. */
void cosma_buf_xml_text(cosma_buf_t *buf, const char *text, size_t max_chars);

/* ---- safe outputs (output.c) ---------------------------------------- */

/* The outputs of one command, written to temporary files next to their
 * targets and renamed over them together by cosma_outputs_commit, so that
 * they appear complete or not at all and a failure leaves the previous
 * files untouched.  Only regular files and new names are written; a target
 * that is one of the declared inputs or another output is refused.
 * Temporary files ("DIR/.cosma-RANDOM.EXT") are created with O_EXCL and
 * O_NOFOLLOW and removed by cosma_outputs_destroy unless committed.  "-"
 * is standard output, written at once by cosma_outputs_write. */
#define COSMA_OUTPUTS_MAX 16
typedef struct cosma_outputs cosma_outputs_t;

cosma_outputs_t *cosma_outputs_create(void);
void cosma_outputs_destroy(cosma_outputs_t *outs);
/* A file the command reads (one that does not exist is ignored). */
cosma_status_t cosma_outputs_add_input(cosma_outputs_t *outs, const char *path);
/* Declares an output; COSMA_ERR_USAGE (reported) when it may not be one. */
cosma_status_t cosma_outputs_add(cosma_outputs_t *outs, const char *path, cosma_diag_t *diag);
/* Stores a declared output's content in its temporary file. */
cosma_status_t cosma_outputs_write(cosma_outputs_t *outs, const char *path, const void *data, size_t length,
                                   cosma_diag_t *diag);
/* The temporary file of a declared output (created empty on first call),
 * for writers that take a file name; it keeps the target's extension. */
cosma_status_t cosma_outputs_temp(cosma_outputs_t *outs, const char *path, const char **out_temp,
                                  cosma_diag_t *diag);
/* Forgets what was written for an output: its target is left alone. */
void cosma_outputs_drop(cosma_outputs_t *outs, const char *path);
/* Syncs every temporary, then renames each over its target. */
cosma_status_t cosma_outputs_commit(cosma_outputs_t *outs, cosma_diag_t *diag);

/* One output on its own: declare, write, commit.  "-" = stdout. */
cosma_status_t cosma_file_write_atomic(const char *path, const void *data, size_t length, cosma_diag_t *diag);
/* Reads a whole file (NUL-terminated; *out_length excludes the NUL). */
cosma_status_t cosma_file_read(const char *path, char **out_data, size_t *out_length, cosma_diag_t *diag);

/* ---- graph ----------------------------------------------------------- */

typedef enum {
    COSMA_TENSOR_INPUT = 0, /* graph input: in host memory at the start */
    COSMA_TENSOR_ACTIVATION,/* produced by one operator, read by others */
    COSMA_TENSOR_OUTPUT,    /* graph output: stored to host once */
    COSMA_TENSOR_PARAM      /* weight / constant: read-only, in host memory */
} cosma_tensor_kind_t;

const char *cosma_tensor_kind_name(cosma_tensor_kind_t kind);
/* Returns 0 and sets *out_kind when name is known, else -1. */
int cosma_tensor_kind_parse(const char *name, cosma_tensor_kind_t *out_kind);

typedef enum {
    COSMA_DTYPE_RAW = 0, /* size given directly in bytes, no element type */
    COSMA_DTYPE_F32,
    COSMA_DTYPE_F16,
    COSMA_DTYPE_BF16,
    COSMA_DTYPE_F64,
    COSMA_DTYPE_I8,
    COSMA_DTYPE_U8,
    COSMA_DTYPE_I16,
    COSMA_DTYPE_U16,
    COSMA_DTYPE_I32,
    COSMA_DTYPE_U32,
    COSMA_DTYPE_I64,
    COSMA_DTYPE_U64,
    COSMA_DTYPE_BOOL,
    COSMA_DTYPE_COUNT
} cosma_dtype_t;

const char *cosma_dtype_name(cosma_dtype_t dtype);
int cosma_dtype_parse(const char *name, cosma_dtype_t *out_dtype);
/* Bytes per element; 0 for COSMA_DTYPE_RAW. */
uint32_t cosma_dtype_bytes(cosma_dtype_t dtype);

typedef struct {
    const char *key;
    const char *value; /* kept as text; the planner never interprets it */
} cosma_attr_t;

typedef struct {
    const char *name;
    cosma_tensor_kind_t kind;
    cosma_dtype_t dtype;
    int32_t rank;       /* -1 for raw-size tensors */
    int64_t *dims;      /* rank entries */
    uint64_t raw_bytes; /* size for COSMA_DTYPE_RAW; ignored otherwise */
    cosma_loc_t loc;
    /* Derived by cosma_graph_finalize: */
    int32_t producer;     /* operator index, -1 for inputs and params */
    int32_t *consumers;   /* distinct reading operators, ascending index */
    int32_t n_consumers;
} cosma_tensor_t;

typedef struct {
    const char *name;
    const char *type;
    int32_t *inputs;  /* tensor indices; -1 = empty optional input */
    int32_t n_inputs;
    int32_t *outputs; /* tensor indices */
    int32_t n_outputs;
    cosma_attr_t *attrs;
    int32_t n_attrs;
    cosma_loc_t loc;
    /* Derived by cosma_graph_finalize: the distinct tensors the operator
     * touches, its distinct inputs first (n_distinct_inputs of them). */
    int32_t *distinct;
    int32_t n_distinct, n_distinct_inputs;
} cosma_op_t;

/* A graph owns all of its memory through its arena.  Operators are stored
 * in the default (framework) order. */
typedef struct {
    cosma_arena_t arena;
    const char *name;
    cosma_tensor_t *tensors;
    int32_t n_tensors;
    size_t cap_tensors;
    cosma_op_t *ops;
    int32_t n_ops;
    size_t cap_ops;
    int finalized;
    uint32_t elem_bytes; /* default element-size override, 0 = native */
    int32_t *tensor_by_name; /* after finalize: indices sorted by name */
    int32_t *op_by_name;
} cosma_graph_t;

cosma_graph_t *cosma_graph_create(const char *name);
void cosma_graph_destroy(cosma_graph_t *graph);

/* Adds a tensor; the graph copies name and dims.  Returns its index in
 * *out_index.  Duplicate names are rejected by cosma_graph_finalize. */
cosma_status_t cosma_graph_add_tensor(cosma_graph_t *graph, const char *name, cosma_tensor_kind_t kind,
                                      cosma_dtype_t dtype, int32_t rank, const int64_t *dims,
                                      uint64_t raw_bytes, cosma_loc_t loc, int32_t *out_index);
/* Adds an operator (appended to the default order); copies every array. */
cosma_status_t cosma_graph_add_op(cosma_graph_t *graph, const char *name, const char *type,
                                  const int32_t *inputs, int32_t n_inputs, const int32_t *outputs,
                                  int32_t n_outputs, const cosma_attr_t *attrs, int32_t n_attrs,
                                  cosma_loc_t loc, int32_t *out_index);
/* Index of a tensor / operator by name, or -1. Linear scan before
 * finalize; binary search on a sorted index after. */
int32_t cosma_graph_find_tensor(const cosma_graph_t *graph, const char *name);
int32_t cosma_graph_find_op(const cosma_graph_t *graph, const char *name);

/* Validates the graph and derives producers and consumers.  Reports every
 * problem found through diag (with the tensor's / operator's location) and
 * returns COSMA_ERR_INPUT if there was any: empty graph, duplicate names,
 * zero or negative dimension, size overflow, a tensor with two producers,
 * an input or param that an operator writes, an activation or output never
 * produced, a cycle, a default order that is not topological. */
cosma_status_t cosma_graph_finalize(cosma_graph_t *graph, cosma_diag_t *diag);

/* Size of a tensor in bytes.  elem_bytes > 0 overrides every element size
 * (the paper counts every element as one byte); raw tensors then keep their
 * byte size.  Returns nonzero on overflow. */
int cosma_tensor_bytes(const cosma_tensor_t *tensor, uint32_t elem_bytes, uint64_t *out_bytes);

/* Accounting settings shared by every planning step. */
typedef struct {
    int with_params;     /* params must be resident while their op runs */
    uint32_t elem_bytes; /* 0 = each tensor's own element size */
} cosma_mode_t;

/* Whether a tensor takes scratchpad space in this mode (params only with
 * with_params; a graph input nobody reads takes none). */
int cosma_tensor_is_planned(const cosma_graph_t *graph, int32_t tensor, const cosma_mode_t *mode);

/* Sizes of every tensor in a mode (0 for tensors that are not planned).
 * out_sizes has n_tensors entries.  COSMA_ERR_INPUT (reported) when a
 * tensor takes more than 2^62 bytes or all of them more than 2^63 - 1, so
 * that callers may sum any of the sizes without overflow. */
cosma_status_t cosma_graph_sizes(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t *out_sizes,
                                 cosma_diag_t *diag);

/* Distinct planned tensors an operator touches (inputs then outputs, no
 * repeats), written to out_tensors (capacity n_inputs + n_outputs); returns
 * the count. */
int32_t cosma_op_operands(const cosma_graph_t *graph, int32_t op, const cosma_mode_t *mode,
                          int32_t *out_tensors);

/* Whether order (n_ops entries, a permutation of operator indices) is a
 * complete topological order, in *out_is (COSMA_ERR_NOMEM otherwise). */
cosma_status_t cosma_order_check(const cosma_graph_t *graph, const int32_t *order, int *out_is);
/* The same as a value; 0 also when out of memory: prefer cosma_order_check. */
int cosma_order_is_topological(const cosma_graph_t *graph, const int32_t *order);

/* Facts about a graph under a mode. */
typedef struct {
    int32_t n_ops, n_tensors;
    int32_t n_inputs, n_activations, n_outputs, n_params;
    uint64_t input_bytes, activation_bytes, output_bytes, param_bytes;
    uint64_t m_r;        /* largest single-op working set, activations only */
    uint64_t m_r_params; /* the same with params counted */
    int32_t m_r_op;      /* operator attaining m_r (mode's setting) */
    int32_t m_r_params_op;
    uint64_t peak_default;        /* peak live bytes, default order, no params */
    uint64_t peak_default_params; /* the same with params */
} cosma_graph_stats_t;

cosma_status_t cosma_graph_stats(const cosma_graph_t *graph, uint32_t elem_bytes, cosma_graph_stats_t *out_stats,
                                 cosma_diag_t *diag);

/* Peak of live bytes for an order: at step t every planned tensor that is
 * produced (or, for inputs and params, first used) at or before t and used
 * at or after t.  sizes from cosma_graph_sizes.  COSMA_ERR_NOMEM, or
 * COSMA_ERR_INPUT when the live bytes overflow 64 bits (nothing reported). */
cosma_status_t cosma_order_peak_checked(const cosma_graph_t *graph, const int32_t *order, const uint64_t *sizes,
                                        uint64_t *out_peak);
/* The same as a value; UINT64_MAX on any failure, so that a failure never
 * reads as a small (or zero) peak.  Prefer cosma_order_peak_checked. */
uint64_t cosma_order_peak(const cosma_graph_t *graph, const int32_t *order, const uint64_t *sizes);

/* FNV-1a 64-bit hash of the graph's content (names, kinds, dtypes, shapes,
 * operators and their order), independent of file formatting. */
uint64_t cosma_graph_hash(const cosma_graph_t *graph);

/* ---- plan ------------------------------------------------------------ */

/* How a residency interval begins and ends. */
typedef enum {
    COSMA_BEGIN_CREATE = 0, /* produced by the operator at step `first` */
    COSMA_BEGIN_LOAD        /* copied in from host memory at step `first` */
} cosma_begin_t;

typedef enum {
    COSMA_END_DROP = 0, /* forgotten: no copy-out (dead, or host copy exists) */
    COSMA_END_SPILL     /* written back to host memory before eviction */
} cosma_end_t;

/* One stay of a tensor in the scratchpad: resident during steps
 * first..last (1-based, inclusive) at a fixed offset.  The end event takes
 * place at the start of step last + 1 (spills, then drops, then loads,
 * then the operator runs). */
typedef struct {
    int32_t tensor;
    int32_t first, last;
    uint64_t offset;
    uint64_t bytes;
    cosma_begin_t begin;
    cosma_end_t end;
} cosma_interval_t;

typedef enum {
    COSMA_PLAN_OPTIMAL = 0, /* proven: lower bound equals the traffic */
    COSMA_PLAN_FEASIBLE,    /* valid plan, optimality not proven */
    COSMA_PLAN_INFEASIBLE   /* no plan exists (or the method found none) */
} cosma_plan_status_t;

const char *cosma_plan_status_name(cosma_plan_status_t status);

/* Why a search ended before it had used all of its fixed work.  Anything
 * but COSMA_STOP_NONE means the plan may depend on the machine's speed. */
typedef enum {
    COSMA_STOP_NONE = 0,   /* every phase did its full, fixed amount of work */
    COSMA_STOP_TIME_LIMIT, /* the time limit ended a phase early */
    COSMA_STOP_INTERRUPT   /* a signal ended the search (the best plan so far) */
} cosma_stop_t;

const char *cosma_stop_name(cosma_stop_t stop);

/* Traffic totals, bytes. */
typedef struct {
    uint64_t spill_bytes;       /* non-compulsory: activations written back */
    uint64_t retrieve_bytes;    /* non-compulsory: loads beyond the first */
    uint64_t compulsory_load_bytes;  /* first load of inputs (and params) */
    uint64_t compulsory_store_bytes; /* graph outputs stored once */
    uint64_t peak_bytes;        /* largest offset + bytes used */
} cosma_traffic_t;

typedef struct {
    cosma_arena_t arena;
    const char *graph_name;
    uint64_t graph_hash;
    cosma_mode_t mode;
    uint64_t budget_bytes;
    int32_t n_steps;
    int32_t *order; /* operator index run at step t is order[t - 1] */
    cosma_interval_t *intervals; /* the planner's sorted by (first, tensor); a read plan's in file order */
    int32_t n_intervals;
    cosma_plan_status_t status;
    const char *method;        /* e.g. "ilp-joint", "baseline:default-belady" */
    uint64_t lower_bound_bytes; /* valid bound on non-compulsory traffic */
    double solve_seconds;
    cosma_traffic_t traffic;
    cosma_stop_t stopped;      /* not part of the plan file: the summary's */
} cosma_plan_t;

cosma_plan_t *cosma_plan_create(int32_t n_steps, int32_t n_intervals);
void cosma_plan_destroy(cosma_plan_t *plan);
/* Sorts intervals by (first, tensor, offset) for a canonical plan. */
void cosma_plan_sort_intervals(cosma_plan_t *plan);
/* The traffic totals of the intervals (no other checking): COSMA_ERR_NOMEM,
 * or COSMA_ERR_INPUT when a total overflows 64 bits (nothing reported). */
cosma_status_t cosma_plan_traffic(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_traffic_t *out_traffic);
/* The same into plan->traffic; on failure every field is UINT64_MAX, never
 * a plausible total.  Prefer cosma_plan_traffic. */
void cosma_plan_compute_traffic(const cosma_graph_t *graph, cosma_plan_t *plan);

/* ---- event schedule -------------------------------------------------- */

/* The per-step events a runtime performs, derived from a plan by
 * cosma_schedule_build: the one implementation of the event rules of
 * docs/plan-format.md ("Steps and the order of events").  Within a step:
 * spills, drops, loads, exactly one run, stores; within a kind by tensor
 * index, then offset.  (Named cosma_event_schedule_t because the planner's
 * cosma_schedule_t names how an order is chosen; the enumerators are not
 * COSMA_EVENT_SPILL etc. because a header written by --emit-c defines those
 * and a deployment includes both.) */
typedef enum {
    COSMA_EVENT_KIND_SPILL = 0, /* copy out to the host buffer, then free */
    COSMA_EVENT_KIND_DROP,      /* free, nothing copied */
    COSMA_EVENT_KIND_LOAD,      /* copy in from the host buffer */
    COSMA_EVENT_KIND_RUN,       /* the step's operator */
    COSMA_EVENT_KIND_STORE      /* graph output copied out right after its run */
} cosma_event_kind_t;

const char *cosma_event_kind_name(cosma_event_kind_t kind);

/* Offset of an operand that is not in the scratchpad (a parameter in
 * activation-only mode, streamed from host memory; an empty input). */
#define COSMA_OFFSET_NONE UINT64_MAX

typedef struct {
    int32_t tensor;  /* -1: an empty optional input */
    int is_output;
    uint64_t offset; /* COSMA_OFFSET_NONE when not resident at this step */
} cosma_operand_t;

typedef struct {
    cosma_event_kind_t kind;
    int32_t step;       /* 1-based */
    int32_t tensor;     /* copy events; -1 for RUN */
    int32_t op;         /* the step's operator (for every kind) */
    int32_t interval;   /* copy events: index in schedule->intervals; -1 for RUN */
    uint64_t offset, bytes; /* copy events: the interval's range; RUN: 0 */
    int compulsory;     /* LOAD: the first load of an input or parameter; STORE: 1 */
    int32_t operands;   /* RUN: first operand in schedule->operands */
    int32_t n_inputs, n_outputs; /* RUN: the operator's own order, repeats kept */
} cosma_event_t;

typedef struct {
    cosma_arena_t arena;
    int32_t n_steps;
    cosma_event_t *events; /* execution order */
    int32_t n_events;
    int32_t *step_events;  /* n_steps + 1: step t's events are [step_events[t-1], step_events[t]) */
    cosma_operand_t *operands; /* each RUN's inputs, then outputs */
    int32_t n_operands;
    cosma_interval_t *intervals; /* the plan's intervals in canonical order */
    int32_t n_intervals;
} cosma_event_schedule_t;

/* Derives the events of a plan.  The plan must be structurally sound
 * (indices and steps in range, order a permutation); the rules of the
 * machine model are the verifier's business.  COSMA_ERR_INPUT with a
 * message otherwise. */
cosma_status_t cosma_schedule_build(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                    cosma_event_schedule_t **out_schedule, cosma_diag_t *diag);
void cosma_schedule_free(cosma_event_schedule_t *schedule);

/* ---- end of event schedule ------------------------------------------- */
#ifdef __cplusplus
}
#endif

#endif /* COSMA_IR_H */
