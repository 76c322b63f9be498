/* test_runtime.c: the runtime on the cpu backend: runs that match the
 * reference in every mode with poison and per-operand checks, a plan with
 * overlapping live tensors refused at open, a skipped load caught by the
 * integrity check, the default kernel's sensitivity, the dependency graph
 * against a brute-force happens-before check on bundled plans, the cost
 * model and its simulation, reports, and static plans from a header
 * written by --emit-c (including a tampered one). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cosma/frontend.h>
#include <cosma/planner.h>
#include <cosma/runtime.h>
#include <cosma/verify.h>

#include "example_plan.h"
#include "runtime_internal.h" /* white-box checks of the dependency graph */
#include "test_support.h"

/* tiny of docs/plan-format.md (tests/support): x (input 16), w (param 8),
 * a (32), b (16), y (output 8); op1: x, w -> a; op2: x -> b; op3: a, b -> y.
 * Step 2 spills a, step 3 drops x and retrieves a.  Intervals, in the
 * fixture's order: y, a (retrieved), b, a (created), x.  Most tests below
 * run it (test_doc_graph, test_doc_plan). */

static cosma_runtime_options_t checked_options(cosma_run_mode_t mode)
{
    cosma_runtime_options_t options;
    cosma_runtime_options_init(&options);
    options.mode = mode;
    options.poison = 1;
    options.check_all = 1;
    return options;
}

START_TEST(test_tiny_runs)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    test_diag_t diag;
    test_diag_init(&diag);
    for (int mode = COSMA_RUN_GRAPH; mode <= COSMA_RUN_SERIAL; mode++) {
        cosma_runtime_options_t options = checked_options((cosma_run_mode_t)mode);
        cosma_runtime_t *rt = NULL;
        ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, &diag.diag), COSMA_OK);
        for (int r = 0; r < 3; r++)
            ck_assert_int_eq(cosma_runtime_run(rt, &diag.diag), COSMA_OK);
        ck_assert_int_eq(cosma_runtime_check_outputs(rt, &diag.diag), COSMA_OK);
        const cosma_run_stats_t *stats = cosma_runtime_stats(rt);
        /* x and the retrieve of a in; the spill of a and y out. */
        ck_assert_uint_eq(stats->h2d_bytes, 48);
        ck_assert_uint_eq(stats->d2h_bytes, 40);
        ck_assert_uint_eq(stats->planned_h2d_bytes, 48);
        ck_assert_uint_eq(stats->planned_d2h_bytes, 40);
        ck_assert_int_eq(stats->n_kernels, 3);
        cosma_run_figures_t figures;
        cosma_cost_model_t model;
        cosma_cost_model_init(&model);
        ck_assert_int_eq(cosma_runtime_figures(rt, &model, &figures), COSMA_OK);
        ck_assert(figures.bytes_match);
        ck_assert_int_eq(figures.h2d_copies, 2);
        ck_assert(figures.predicted_seconds >= figures.lower_bound_seconds * 0.999);
        /* A bound input changes the output, and the reference follows. */
        unsigned char x[16];
        memset(x, 3, sizeof x);
        ck_assert_int_eq(cosma_runtime_bind(rt, "x", x, sizeof x, &diag.diag), COSMA_OK);
        const void *before_data;
        uint64_t bytes;
        ck_assert_int_eq(cosma_runtime_output(rt, "y", &before_data, &bytes, &diag.diag), COSMA_OK);
        unsigned char before[8];
        memcpy(before, before_data, sizeof before);
        ck_assert_int_eq(cosma_runtime_run(rt, &diag.diag), COSMA_OK);
        ck_assert_int_eq(cosma_runtime_check_outputs(rt, &diag.diag), COSMA_OK);
        ck_assert_int_ne(memcmp(before, before_data, sizeof before), 0);
        ck_assert_int_eq(cosma_runtime_bind(rt, "x", x, 15, &diag.diag), COSMA_ERR_USAGE);
        ck_assert(test_diag_contains(&diag, "has 16 bytes in this plan, not 15"));
        ck_assert_int_eq(cosma_runtime_bind(rt, "a", x, 16, &diag.diag), COSMA_ERR_USAGE);
        cosma_runtime_close(rt);
    }
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* b moved onto a's bytes while a is still live: refused at open. */
START_TEST(test_overlap_refused)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    plan->intervals[2].offset = 0; /* b onto x at step 2: both live */
    cosma_plan_compute_traffic(graph, plan);
    cosma_runtime_options_t options = checked_options(COSMA_RUN_SERIAL);
    cosma_runtime_t *rt = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, &diag.diag), COSMA_ERR_INPUT);
    ck_assert_ptr_null(rt);
    ck_assert(test_diag_contains(&diag, "refused at open"));
    ck_assert(test_diag_contains(&diag, "overlap"));
    /* So are a plan of another graph and offsets off the required alignment. */
    cosma_plan_t *good = test_doc_plan(graph);
    options.align = 1;
    good->graph_hash ^= 1;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_runtime_open(graph, good, &options, &rt, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "not for graph 'tiny'"));
    good->graph_hash ^= 1;
    options.align = 32;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_runtime_open(graph, good, &options, &rt, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "tensor 'b' at offset 16 (steps 2..3) is not aligned to 32 bytes"));
    cosma_plan_destroy(good);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* A runtime that skips the retrieve of a is caught: by the operand check
 * at the step that reads it, or by the output comparison. */
START_TEST(test_skipped_load_caught)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_runtime_options_t options = checked_options(COSMA_RUN_SERIAL);
    options.test_skip_load = 2;
    cosma_runtime_t *rt = NULL;
    ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_run(rt, &diag.diag), COSMA_ERR_INTERNAL);
    ck_assert(cosma_runtime_stats(rt)->integrity_failed);
    ck_assert(test_diag_contains(&diag, "input 'a' differs from the reference at byte 0 of 32 (step 3, operator "
                                        "'op3')"));
    cosma_runtime_close(rt);
    options.check_all = 0;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_run(rt, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_check_outputs(rt, &diag.diag), COSMA_ERR_INTERNAL);
    ck_assert(test_diag_contains(&diag, "output 'y' differs from the reference"));
    cosma_cost_model_t model;
    cosma_cost_model_init(&model);
    cosma_run_figures_t figures;
    ck_assert_int_eq(cosma_runtime_figures(rt, &model, &figures), COSMA_OK);
    ck_assert(!figures.bytes_match);
    ck_assert_uint_eq(figures.actual_h2d_bytes, 16);
    cosma_runtime_close(rt);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* A registered kernel: every output byte is the sum of the first bytes
 * of the inputs plus its tag; the reference uses it too on cpu. */
static cosma_status_t sum_kernel(const cosma_kernel_args_t *args, void *user)
{
    unsigned char value = *(const unsigned char *)user;
    for (int32_t k = 0; k < args->n_inputs; k++)
        if (args->inputs[k] != NULL)
            value = (unsigned char)(value + ((const unsigned char *)args->inputs[k])[0]);
    for (int32_t o = 0; o < args->n_outputs; o++)
        memset(args->outputs[o], value, args->output_bytes[o]);
    return COSMA_OK;
}

START_TEST(test_registered_kernel)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    cosma_runtime_options_t options = checked_options(COSMA_RUN_STREAMS);
    cosma_runtime_t *rt = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, &diag.diag), COSMA_OK);
    unsigned char tag = 5, x[16], w[8];
    memset(x, 1, sizeof x);
    memset(w, 2, sizeof w);
    ck_assert_int_eq(cosma_runtime_set_kernel(rt, "Op", sum_kernel, &tag, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_bind(rt, "x", x, sizeof x, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_bind(rt, "w", w, sizeof w, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_run(rt, &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_check_outputs(rt, &diag.diag), COSMA_OK);
    /* a = 5 + 1 + 2 = 8, b = 5 + 1 = 6, y = 5 + 8 + 6 = 19 */
    const void *y;
    uint64_t bytes;
    ck_assert_int_eq(cosma_runtime_output(rt, "y", &y, &bytes, &diag.diag), COSMA_OK);
    ck_assert_uint_eq(bytes, 8);
    ck_assert_int_eq(((const unsigned char *)y)[7], 19);
    cosma_runtime_close(rt);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_default_kernel)
{
    unsigned char in0[100], in1[7], out0[33], out1[33], again[33];
    for (size_t j = 0; j < sizeof in0; j++)
        in0[j] = (unsigned char)j;
    memset(in1, 9, sizeof in1);
    const void *inputs[3] = {in0, NULL, in1};
    uint64_t in_bytes[3] = {sizeof in0, 0, sizeof in1}, out_bytes[2] = {sizeof out0, sizeof out1};
    void *outputs[2] = {out0, out1};
    cosma_kernel_args_t args = {.op = 5, .n_inputs = 3, .n_outputs = 2, .inputs = inputs, .input_bytes = in_bytes,
                                .outputs = outputs, .output_bytes = out_bytes};
    ck_assert_int_eq(cosma_kernel_default_host(&args, NULL), COSMA_OK);
    ck_assert_int_ne(memcmp(out0, out1, sizeof out0), 0); /* outputs differ from each other */
    memcpy(again, out0, sizeof again);
    in0[99] ^= 1; /* the last byte of an input matters */
    ck_assert_int_eq(cosma_kernel_default_host(&args, NULL), COSMA_OK);
    ck_assert_int_ne(memcmp(again, out0, sizeof again), 0);
    in0[99] ^= 1;
    args.op = 6; /* and so does the operator */
    ck_assert_int_eq(cosma_kernel_default_host(&args, NULL), COSMA_OK);
    ck_assert_int_ne(memcmp(again, out0, sizeof again), 0);
    args.op = 5;
    ck_assert_int_eq(cosma_kernel_default_host(&args, NULL), COSMA_OK);
    ck_assert_int_eq(memcmp(again, out0, sizeof again), 0);
}
END_TEST

/* ---- the dependency graph --------------------------------------------- */

/* Per node, per lane: the latest node of that lane that finishes before it
 * starts (a vector clock), from the waits and the lanes' FIFO order. */
static int32_t (*happens_before(const rt_deps_t *deps))[RT_N_LANES]
{
    int32_t (*clock)[RT_N_LANES] = calloc((size_t)deps->n_nodes + 1, sizeof *clock);
    int32_t last[RT_N_LANES] = {-1, -1, -1};
    for (int32_t n = 0; n < deps->n_nodes; n++) {
        const rt_node_t *node = &deps->nodes[n];
        for (int l = 0; l < RT_N_LANES; l++)
            clock[n][l] = -1;
        int32_t prev = last[node->lane];
        if (prev >= 0) {
            for (int l = 0; l < RT_N_LANES; l++)
                clock[n][l] = clock[prev][l] > clock[n][l] ? clock[prev][l] : clock[n][l];
            clock[n][node->lane] = prev;
        }
        for (int w = 0; w < RT_N_LANES; w++) {
            int32_t dep = node->wait[w];
            if (dep < 0)
                continue;
            ck_assert_int_lt(dep, n);
            ck_assert_int_eq(deps->nodes[dep].lane, w);
            for (int l = 0; l < RT_N_LANES; l++)
                clock[n][l] = clock[dep][l] > clock[n][l] ? clock[dep][l] : clock[n][l];
            clock[n][w] = dep > clock[n][w] ? dep : clock[n][w];
        }
        last[node->lane] = n;
    }
    return clock;
}

/* The scratchpad range a node touches and whether it writes it; runs
 * touch several ranges, so they are checked operand by operand. */
typedef struct {
    uint64_t offset, bytes;
    int writes;
    int32_t host_tensor; /* host buffer touched (copies), -1 none */
    int host_writes;
} access_t;

static int32_t accesses_of(const cosma_event_schedule_t *s, const rt_node_t *node, access_t *out)
{
    const cosma_event_t *e = &s->events[node->event];
    if (node->kind != RT_NODE_RUN) {
        int copy = node->kind != RT_NODE_POISON;
        out[0] = (access_t){node->offset, node->bytes, node->kind == RT_NODE_LOAD || node->kind == RT_NODE_POISON,
                            copy ? e->tensor : -1, node->kind == RT_NODE_SPILL || node->kind == RT_NODE_STORE};
        return 1;
    }
    int32_t n = 0;
    for (int32_t k = 0; k < e->n_inputs + e->n_outputs; k++) {
        const cosma_operand_t *o = &s->operands[e->operands + k];
        if (o->tensor < 0 || o->offset == COSMA_OFFSET_NONE)
            continue;
        int32_t i = 0;
        while (s->intervals[i].tensor != o->tensor || s->intervals[i].first > e->step || s->intervals[i].last < e->step)
            i++;
        out[n++] = (access_t){o->offset, s->intervals[i].bytes, o->is_output, -1, 0};
    }
    return n;
}

static int conflict(const access_t *a, int32_t na, const access_t *b, int32_t nb)
{
    for (int32_t i = 0; i < na; i++)
        for (int32_t j = 0; j < nb; j++) {
            int bytes = a[i].offset < b[j].offset + b[j].bytes && b[j].offset < a[i].offset + a[i].bytes &&
                        (a[i].writes || b[j].writes);
            int host = a[i].host_tensor >= 0 && a[i].host_tensor == b[j].host_tensor &&
                       (a[i].host_writes || b[j].host_writes);
            if (bytes || host)
                return 1;
        }
    return 0;
}

/* Every pair of nodes that touch the same bytes, one of them writing, is
 * ordered: the later one cannot start before the earlier one finished. */
static void assert_deps_sound(const cosma_graph_t *graph, const cosma_plan_t *plan, int poison)
{
    cosma_event_schedule_t *s = NULL;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &s, NULL), COSMA_OK);
    rt_deps_t deps;
    ck_assert_int_eq(rt_deps_build(graph, s, poison, &deps), COSMA_OK);
    int32_t(*clock)[RT_N_LANES] = happens_before(&deps);
    int32_t most = 1;
    for (int32_t o = 0; o < graph->n_ops; o++)
        most = graph->ops[o].n_inputs + graph->ops[o].n_outputs > most ? graph->ops[o].n_inputs + graph->ops[o].n_outputs
                                                                       : most;
    access_t *a = malloc((size_t)most * sizeof(access_t)), *b = malloc((size_t)most * sizeof(access_t));
    for (int32_t x = 0; x < deps.n_nodes; x++) {
        int32_t na = accesses_of(s, &deps.nodes[x], a);
        for (int32_t y = x + 1; y < deps.n_nodes; y++) {
            if (deps.nodes[y].lane == deps.nodes[x].lane || clock[y][deps.nodes[x].lane] >= x)
                continue; /* ordered */
            int32_t nb = accesses_of(s, &deps.nodes[y], b);
            if (conflict(a, na, b, nb))
                ck_abort_msg("%s: nodes %d (step %d, kind %d) and %d (step %d, kind %d) conflict but are not ordered",
                             graph->name, x, deps.nodes[x].step, deps.nodes[x].kind, y, deps.nodes[y].step,
                             deps.nodes[y].kind);
        }
    }
    free(a);
    free(b);
    free(clock);
    rt_deps_free(&deps);
    cosma_schedule_free(s);
}

START_TEST(test_deps_tiny)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    assert_deps_sound(graph, plan, 0);
    assert_deps_sound(graph, plan, 1);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

static const char *const GRAPHS[] = {"transformer", "densenet121", "lraspp_mobilenet_v3_large", "resnet50"};

/* Baseline plans with spills and retrieves, in both modes: the dependency
 * graph orders every conflicting pair, and runs in the lanes' random
 * interleavings match the reference. */
START_TEST(test_deps_bundled)
{
    char relative[128];
    snprintf(relative, sizeof relative, "graphs/%s.yaml", GRAPHS[_i]);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_load(test_source_path(relative), NULL, &graph, NULL), COSMA_OK);
    int n_plans = 0;
    for (int params = 0; params <= 1; params++) {
        cosma_mode_t mode = {.with_params = params, .elem_bytes = 1};
        cosma_graph_stats_t stats;
        ck_assert_int_eq(cosma_graph_stats(graph, 1, &stats, NULL), COSMA_OK);
        uint64_t low = params ? stats.m_r_params : stats.m_r;
        uint64_t high = params ? stats.peak_default_params : stats.peak_default;
        cosma_plan_t *plan = NULL;
        for (int k = 1; k <= 4 && plan == NULL; k++)
            if (cosma_baseline_plan(graph, &mode, low + (high - low) * (uint64_t)k / 8, "default-belady", 1, &plan,
                                    NULL) != COSMA_OK)
                plan = NULL;
        if (plan == NULL)
            continue;
        n_plans++;
        assert_deps_sound(graph, plan, 0);
        assert_deps_sound(graph, plan, 1);
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_runtime_options_t options = checked_options(COSMA_RUN_STREAMS);
        options.seed = (uint64_t)(_i * 2 + params + 1);
        cosma_runtime_t *rt = NULL;
        ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, &diag.diag), COSMA_OK);
        ck_assert_msg(cosma_runtime_run(rt, &diag.diag) == COSMA_OK, "%s", diag.text);
        ck_assert_int_eq(cosma_runtime_check_outputs(rt, &diag.diag), COSMA_OK);
        ck_assert_uint_eq(cosma_runtime_stats(rt)->h2d_bytes, cosma_runtime_stats(rt)->planned_h2d_bytes);
        cosma_runtime_close(rt);
        cosma_plan_destroy(plan);
    }
    ck_assert_int_gt(n_plans, 0);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- cost model -------------------------------------------------------- */

START_TEST(test_cost_model_file)
{
    char path[] = "/tmp/cosma_cost_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    cosma_cost_model_t model, read;
    cosma_cost_model_init(&model);
    model.h2d_bytes_per_second = 12.5e9;
    model.d2h_duplex_slowdown = 1.25;
    model.signal_seconds = 2e-6;
    ck_assert_int_eq(cosma_cost_model_write(&model, path, NULL), COSMA_OK);
    ck_assert_int_eq(cosma_cost_model_read(path, &read, NULL), COSMA_OK);
    ck_assert(fabs(read.h2d_bytes_per_second - 12.5e9) < 1);
    ck_assert(fabs(read.d2h_duplex_slowdown - 1.25) < 1e-9);
    ck_assert(fabs(read.signal_seconds - 2e-6) < 1e-15);
    ck_assert_str_eq(read.backend, "cuda");
    FILE *file = fopen(path, "w");
    fputs("{\"format\": \"cosma-cost\", \"backend\": \"cuda\", \"h2d_latency_seconds\": -1}", file);
    fclose(file);
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_cost_model_read(path, &read, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "h2d_latency_seconds: expected a number of at least 0"));
    unlink(path);
    ck_assert_int_eq(cosma_runtime_calibrate(COSMA_BACKEND_CPU, 0, &model, NULL), COSMA_OK);
    ck_assert_str_eq(model.backend, "cpu");
    ck_assert(model.h2d_bytes_per_second > 0);
}
END_TEST

/* Three nodes by hand: a load of 1000 bytes, a kernel that waits for it,
 * a store that waits for the kernel; 1000 B/s, latency 1 s, 0.5 s per wait. */
START_TEST(test_simulation)
{
    rt_node_t nodes[3];
    memset(nodes, 0, sizeof nodes);
    nodes[0] = (rt_node_t){RT_NODE_LOAD, RT_LANE_UP, 0, 0, 1, 0, 1000, {-1, -1, -1}, 1};
    nodes[1] = (rt_node_t){RT_NODE_RUN, RT_LANE_KERNEL, 1, -1, 1, 0, 0, {0, -1, -1}, 1};
    nodes[2] = (rt_node_t){RT_NODE_STORE, RT_LANE_DOWN, 2, 0, 1, 0, 2000, {-1, 1, -1}, 0};
    rt_deps_t deps = {nodes, 3};
    cosma_cost_model_t model = {.backend = "test",
                                .h2d_latency_seconds = 1,
                                .h2d_bytes_per_second = 1000,
                                .d2h_latency_seconds = 1,
                                .d2h_bytes_per_second = 1000,
                                .h2d_duplex_slowdown = 2,
                                .d2h_duplex_slowdown = 2,
                                .dependency_seconds = 0.5};
    double kernel[3] = {0, 3, 0};
    rt_trace_node_t out[3];
    /* load 0..2, kernel 2.5..5.5, store 6..9 */
    double makespan = rt_simulate(&deps, &model, kernel, out);
    ck_assert(fabs(makespan - 9) < 1e-6);
    ck_assert(fabs(out[1].start - 2.5) < 1e-6);
    ck_assert(fabs(out[2].start - 6) < 1e-6);
    /* Independent copies in both directions at once share the link: each
     * moves at half speed (duplex slowdown 2) while both move. */
    nodes[1] = (rt_node_t){RT_NODE_SPILL, RT_LANE_DOWN, 1, 0, 1, 0, 1000, {-1, -1, -1}, 0};
    rt_deps_t two = {nodes, 2};
    makespan = rt_simulate(&two, &model, kernel, out);
    ck_assert(fabs(makespan - 3) < 1e-6); /* 1 s latency, then 1000 B at 500 B/s */
}
END_TEST

/* ---- report ------------------------------------------------------------ */

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t length = 0;
    ck_assert_int_eq(cosma_file_read(path, &text, &length, NULL), COSMA_OK);
    return text;
}

START_TEST(test_report)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    cosma_runtime_options_t options = checked_options(COSMA_RUN_SERIAL);
    cosma_runtime_t *rt = NULL;
    ck_assert_int_eq(cosma_runtime_open(graph, plan, &options, &rt, NULL), COSMA_OK);
    cosma_cost_model_t model;
    cosma_cost_model_init(&model);
    char dir[] = "/tmp/cosma_report_XXXXXX", path[128], other[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/run.json", dir);
    ck_assert_int_eq(cosma_runtime_write_report(rt, &model, path, NULL), COSMA_ERR_USAGE); /* no run yet */
    ck_assert_int_eq(cosma_runtime_run(rt, NULL), COSMA_OK);
    ck_assert_int_eq(cosma_runtime_write_report(rt, &model, path, NULL), COSMA_OK);
    char *json = slurp(path);
    ck_assert_ptr_nonnull(strstr(json, "\"bytes_match\": true"));
    ck_assert_ptr_nonnull(strstr(json, "\"planned_h2d_bytes\": 48, \"actual_h2d_bytes\": 48"));
    ck_assert_ptr_nonnull(strstr(json, "{\"step\": 3, \"operator\": \"op3\""));
    free(json);
    snprintf(other, sizeof other, "%s/run.md", dir);
    char *md = slurp(other);
    ck_assert_ptr_nonnull(strstr(md, "| planned bytes | 48 | 40 |"));
    free(md);
    snprintf(other, sizeof other, "%s/run.svg", dir);
    char *svg = slurp(other);
    ck_assert_ptr_nonnull(strstr(svg, "<svg"));
    ck_assert_ptr_nonnull(strstr(svg, "step 3 a: load 32 bytes"));
    free(svg);
    cosma_runtime_close(rt);
    char command[160];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(command), 0);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- static plans ------------------------------------------------------ */

START_TEST(test_static_plan)
{
    cosma_static_plan_t tables = COSMA_STATIC_PLAN("example", cosma_example, COSMA_EXAMPLE);
    cosma_graph_t *graph = NULL;
    cosma_plan_t *plan = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_static_plan_load(&tables, NULL, &graph, &plan, &diag.diag), COSMA_OK);
    ck_assert_int_eq(plan->n_steps, COSMA_EXAMPLE_N_STEPS);
    ck_assert_uint_eq(plan->traffic.spill_bytes, COSMA_EXAMPLE_SPILL_BYTES);
    ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, COSMA_EXAMPLE_COMPULSORY_LOAD_BYTES);
    cosma_traffic_t traffic;
    ck_assert_int_eq(cosma_plan_verify(graph, plan, &traffic, &diag.diag), COSMA_OK);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    /* A table edited by hand (an event moved) no longer matches itself. */
    static cosma_plan_event_t events[COSMA_EXAMPLE_N_EVENTS];
    memcpy(events, cosma_example_events, sizeof events);
    uint32_t k = 0;
    while (events[k].kind != COSMA_EVENT_LOAD)
        k++;
    events[k].offset += 1;
    tables.events = events;
    ck_assert_int_eq(cosma_static_plan_load(&tables, NULL, &graph, &plan, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "static plan: "));
    ck_assert_ptr_null(graph);
    ck_assert_ptr_null(plan);
}
END_TEST

static Suite *runtime_suite(void)
{
    Suite *suite = suite_create("runtime");
    TCase *run = tcase_create("run");
    tcase_add_test(run, test_tiny_runs);
    tcase_add_test(run, test_overlap_refused);
    tcase_add_test(run, test_skipped_load_caught);
    tcase_add_test(run, test_default_kernel);
    tcase_add_test(run, test_registered_kernel);
    tcase_add_test(run, test_report);
    tcase_add_test(run, test_static_plan);
    suite_add_tcase(suite, run);
    TCase *deps = tcase_create("deps");
    tcase_set_timeout(deps, 300);
    tcase_add_test(deps, test_deps_tiny);
    tcase_add_loop_test(deps, test_deps_bundled, 0, (int)(sizeof GRAPHS / sizeof GRAPHS[0]));
    suite_add_tcase(suite, deps);
    TCase *cost = tcase_create("cost");
    tcase_add_test(cost, test_cost_model_file);
    tcase_add_test(cost, test_simulation);
    suite_add_tcase(suite, cost);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(runtime_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
