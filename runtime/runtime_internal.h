/* runtime_internal.h: what the files of the runtime module share: the
 * runtime object, the dependency graph of copies and kernels, the
 * backend interface, the trace of a run.  Not part of the public API. */
#ifndef COSMA_RUNTIME_INTERNAL_H
#define COSMA_RUNTIME_INTERNAL_H

#include <cosma/runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RT_NO_HOST UINT64_MAX  /* tensor without a host buffer */
#define RT_HOST_ALIGN 64       /* host buffers start on cache lines */
#define RT_POISON_BYTE 0xDB    /* freed scratchpad bytes with --poison */
#define RT_MAX_KERNELS 64      /* registered operator types */
#define RT_OPERANDS_PER_LAUNCH 16 /* default kernel on cuda: operands per launch */

/* The three lanes (streams on cuda) a node runs on. */
typedef enum { RT_LANE_UP = 0, RT_LANE_KERNEL, RT_LANE_DOWN, RT_N_LANES } rt_lane_t;

typedef enum { RT_NODE_LOAD, RT_NODE_RUN, RT_NODE_SPILL, RT_NODE_STORE, RT_NODE_POISON } rt_node_kind_t;

/* One copy, kernel or poison fill.  A node waits for the node wait[l] on
 * each other lane l (-1: none); lanes are FIFO, so waiting for the latest
 * dependency on a lane covers the earlier ones. */
typedef struct {
    rt_node_kind_t kind;
    rt_lane_t lane;
    int32_t event;    /* index in the schedule's events */
    int32_t interval; /* copies and poison: the interval; runs: -1 */
    int32_t step;
    uint64_t offset, bytes; /* scratchpad range (runs: 0) */
    int32_t wait[RT_N_LANES];
    int waited_on;    /* some node of another lane waits for it */
} rt_node_t;

typedef struct {
    rt_node_t *nodes; /* issue order: a topological order */
    int32_t n_nodes;
} rt_deps_t;

/* The latest access, per lane, of byte ranges of the scratchpad
 * (access_map.c): ranges are intervals of the plan it was made for. */
typedef struct rt_access_map rt_access_map_t;
cosma_status_t rt_access_map_create(const cosma_interval_t *intervals, int32_t n_intervals,
                                    rt_access_map_t **out_map);
void rt_access_map_destroy(rt_access_map_t *map);
/* Records node, on lane, as the latest access of the range. */
void rt_access_map_touch(rt_access_map_t *map, uint64_t offset, uint64_t bytes, rt_lane_t lane, int32_t node);
/* Per lane, the latest node that touched a byte of the range (-1: none). */
void rt_access_map_latest(const rt_access_map_t *map, uint64_t offset, uint64_t bytes,
                          int32_t out_latest[RT_N_LANES]);

/* Builds the dependency graph: read-after-write on tensors (host and
 * scratchpad copies), write-after-read and write-after-write on
 * overlapping scratchpad bytes; with poison, a fill node after every
 * interval's end. */
cosma_status_t rt_deps_build(const cosma_graph_t *graph, const cosma_event_schedule_t *schedule, int poison,
                             rt_deps_t *out_deps);
void rt_deps_free(rt_deps_t *deps);

/* What a run did, node by node (times relative to the run's start). */
typedef struct {
    double start, end;   /* seconds; negative when unknown */
    uint64_t bytes;      /* copies: bytes actually moved */
    int measured;        /* start/end/bytes known */
} rt_trace_node_t;

typedef struct {
    rt_trace_node_t *nodes; /* per dependency-graph node */
    int from_cupti;         /* bytes and times are the driver's */
    char source[160];       /* where the figures come from, for the report */
    double wall_seconds;
    int valid;
} rt_trace_t;

struct cosma_runtime;

/* A backend: the cpu one executes nodes itself; the cuda one issues the
 * whole dependency graph. */
typedef struct {
    cosma_status_t (*open)(struct cosma_runtime *rt, cosma_diag_t *diag);
    void (*close)(struct cosma_runtime *rt);
    cosma_status_t (*run)(struct cosma_runtime *rt, cosma_diag_t *diag);
    /* Copies scratchpad bytes to dst (for --check-all). */
    cosma_status_t (*read)(struct cosma_runtime *rt, uint64_t offset, uint64_t bytes, void *dst,
                           cosma_diag_t *diag);
} rt_backend_t;

typedef struct {
    char type[64];
    cosma_kernel_fn_t fn;
    void *user;
} rt_kernel_entry_t;

struct cosma_runtime {
    const cosma_graph_t *graph;
    const cosma_plan_t *plan;
    cosma_runtime_options_t options;
    cosma_event_schedule_t *schedule;
    rt_deps_t deps;
    uint64_t *bytes;       /* per tensor: its size (streamed parameters too) */
    uint64_t *host_offset; /* per tensor: offset in host, or RT_NO_HOST */
    unsigned char *host;   /* one block (pinned on cuda) */
    uint64_t host_bytes;
    unsigned char *arena;  /* base of the scratchpad (a device pointer on cuda) */
    uint64_t arena_bytes;
    unsigned char *bound;  /* per tensor: bound by the caller */
    unsigned char *reference; /* unlimited-memory execution, every tensor in its own range */
    uint64_t *ref_offset;
    int reference_ready;
    void **ptrs;           /* operand scratch for one kernel call (largest operator) */
    uint64_t *sizes;
    rt_kernel_entry_t kernels[RT_MAX_KERNELS];
    int n_kernels;
    int kernels_version;   /* bumped by every set_kernel: a captured run is stale */
    const rt_backend_t *backend;
    void *backend_state;
    cosma_run_stats_t stats;
    rt_trace_t trace;
};

extern const rt_backend_t rt_backend_cpu;
#ifdef COSMA_HAVE_CUDA
extern const rt_backend_t rt_backend_cuda;
cosma_status_t rt_cuda_calibrate(int device, cosma_cost_model_t *out_model, cosma_diag_t *diag);
int rt_cuda_devices(void);
#endif

/* The registered kernel of an operator, or NULL (use the default). */
const rt_kernel_entry_t *rt_kernel_of(const cosma_runtime_t *rt, int32_t op);
/* Fills args for a RUN event with pointers into the arena (resident
 * operands) and host (the others).  ptrs and sizes have room for the
 * operator's inputs + outputs. */
void rt_kernel_args(const cosma_runtime_t *rt, const cosma_event_t *run, unsigned char *arena, void **ptrs,
                    uint64_t *sizes, cosma_kernel_args_t *out_args);
/* Compares the operands of a RUN with the reference (check_all); reads
 * resident ones through the backend. */
cosma_status_t rt_check_operands(cosma_runtime_t *rt, const cosma_event_t *run, cosma_diag_t *diag);
/* Prepares the reference execution once. */
cosma_status_t rt_reference_build(cosma_runtime_t *rt, cosma_diag_t *diag);

/* The default kernel's arithmetic, shared by the host and the device. */
#ifdef __CUDACC__
#define RT_HD __host__ __device__
#else
#define RT_HD
#endif
#define RT_MIX_SALT UINT64_C(0x636f736d61726e74) /* "cosmarnt" */
#define RT_MIX_GOLDEN UINT64_C(0x9e3779b97f4a7c15)
static inline RT_HD uint64_t rt_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
/* Contribution of byte j (value v) of input k to the operator's digest. */
static inline RT_HD uint64_t rt_mix_input_byte(uint64_t k, uint64_t j, uint64_t v)
{
    return rt_mix64((k << 56) ^ (j << 8) ^ v);
}
static inline RT_HD uint64_t rt_mix_seed(int32_t op)
{
    return rt_mix64(RT_MIX_SALT ^ (uint64_t)(uint32_t)op);
}
static inline RT_HD uint64_t rt_mix_output_base(uint64_t digest, int32_t o)
{
    return rt_mix64(digest + RT_MIX_GOLDEN * (uint64_t)(o + 1));
}
static inline RT_HD unsigned char rt_mix_output_byte(uint64_t base, uint64_t j)
{
    return (unsigned char)(rt_mix64(base + j) >> 56);
}
/* Seeded pseudo-random content of an unbound input or parameter. */
void rt_fill_random(unsigned char *data, uint64_t bytes, uint64_t seed, int32_t tensor);

/* Simulates the dependency graph on the three lanes with the model and
 * the given kernel-lane durations (per node, overheads included; copies
 * ignore theirs); writes
 * predicted start/end per node when out_nodes is not NULL. */
double rt_simulate(const rt_deps_t *deps, const cosma_cost_model_t *model, const double *kernel_seconds,
                   rt_trace_node_t *out_nodes);

double rt_clock_seconds(void);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_RUNTIME_INTERNAL_H */
