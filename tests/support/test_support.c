/* test_support.c: shared helpers for the Check suites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "test_support.h"

static void record(void *ctx, cosma_severity_t severity, const char *message)
{
    test_diag_t *recorder = ctx;
    (void)severity;
    size_t used = strlen(recorder->text);
    snprintf(recorder->text + used, sizeof recorder->text - used, "%s\n", message);
}

void test_diag_init(test_diag_t *recorder)
{
    memset(recorder, 0, sizeof *recorder);
    recorder->diag.emit = record;
    recorder->diag.ctx = recorder;
}

int test_diag_contains(const test_diag_t *recorder, const char *needle)
{
    return strstr(recorder->text, needle) != NULL;
}

const char *test_source_path(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", COSMA_SOURCE_DIR, relative);
    return path;
}

cosma_graph_t *test_graph_new(const char *name)
{
    return cosma_graph_create(name);
}

cosma_graph_t *test_graph_finalized(cosma_graph_t *g)
{
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_graph_finalize(g, &diag.diag) == COSMA_OK, "%s: %s", g->name, diag.text);
    return g;
}

int32_t test_graph_tensor(cosma_graph_t *graph, const char *name, cosma_tensor_kind_t kind, uint64_t bytes)
{
    int32_t index = -1;
    cosma_loc_t loc = {0};
    if (cosma_graph_add_tensor(graph, name, kind, COSMA_DTYPE_RAW, -1, NULL, bytes, loc, &index) != COSMA_OK)
        abort();
    return index;
}

static int32_t parse_names(cosma_graph_t *graph, const char *list, int32_t *out)
{
    int32_t count = 0;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *token = strtok_r(copy, ",", &save); token != NULL;
         token = strtok_r(NULL, ",", &save)) {
        int32_t index = cosma_graph_find_tensor(graph, token);
        if (index < 0) {
            fprintf(stderr, "test graph: unknown tensor '%s'\n", token);
            abort();
        }
        out[count++] = index;
    }
    return count;
}

int32_t test_graph_op(cosma_graph_t *graph, const char *name, const char *inputs, const char *outputs)
{
    int32_t in[64], out[64], index = -1;
    int32_t n_in = parse_names(graph, inputs, in);
    int32_t n_out = parse_names(graph, outputs, out);
    cosma_loc_t loc = {0};
    if (cosma_graph_add_op(graph, name, "Op", in, n_in, out, n_out, NULL, 0, loc, &index) != COSMA_OK)
        abort();
    return index;
}

cosma_graph_t *test_graph_layered(int layers, int width, uint32_t seed, uint64_t x_bytes, uint32_t size_span)
{
    cosma_graph_t *g = test_graph_new("layered");
    char name[32], inputs[64], output[32];
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, x_bytes);
    for (int o = 0; o < layers * width; o++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(name, sizeof name, "t%d", o);
        test_graph_tensor(g, name, o >= (layers - 1) * width ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION,
                          4 + (seed >> 16) % size_span);
    }
    for (int o = 0; o < layers * width; o++) {
        int layer = o / width;
        seed = seed * 1103515245u + 12345u;
        if (layer == 0)
            snprintf(inputs, sizeof inputs, "x");
        else if (layer >= 2 && layer % 2 == 0)
            snprintf(inputs, sizeof inputs, "t%d,t%d", o - width, (layer - 2) * width + (int)((seed >> 16) % width));
        else
            snprintf(inputs, sizeof inputs, "t%d", o - width);
        snprintf(name, sizeof name, "op%d", o);
        snprintf(output, sizeof output, "t%d", o);
        test_graph_op(g, name, inputs, output);
    }
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

cosma_graph_t *test_doc_graph(void)
{
    cosma_graph_t *graph = test_graph_new("tiny");
    test_graph_tensor(graph, "x", COSMA_TENSOR_INPUT, 16);
    test_graph_tensor(graph, "w", COSMA_TENSOR_PARAM, 8);
    test_graph_tensor(graph, "a", COSMA_TENSOR_ACTIVATION, 32);
    test_graph_tensor(graph, "b", COSMA_TENSOR_ACTIVATION, 16);
    test_graph_tensor(graph, "y", COSMA_TENSOR_OUTPUT, 8);
    test_graph_op(graph, "op1", "x,w", "a");
    test_graph_op(graph, "op2", "x", "b");
    test_graph_op(graph, "op3", "a,b", "y");
    ck_assert_int_eq(cosma_graph_finalize(graph, NULL), COSMA_OK);
    return graph;
}

cosma_plan_t *test_doc_plan(const cosma_graph_t *graph)
{
    static const cosma_interval_t intervals[] = {
        {4, 3, 3, 0, 8, COSMA_BEGIN_CREATE, COSMA_END_DROP},    {2, 3, 3, 32, 32, COSMA_BEGIN_LOAD, COSMA_END_DROP},
        {3, 2, 3, 16, 16, COSMA_BEGIN_CREATE, COSMA_END_DROP}, {2, 1, 1, 16, 32, COSMA_BEGIN_CREATE, COSMA_END_SPILL},
        {0, 1, 2, 0, 16, COSMA_BEGIN_LOAD, COSMA_END_DROP}};
    cosma_plan_t *plan = cosma_plan_create(3, 5);
    ck_assert_ptr_nonnull(plan);
    for (int32_t t = 0; t < 3; t++)
        plan->order[t] = t;
    memcpy(plan->intervals, intervals, sizeof intervals);
    plan->budget_bytes = 64;
    plan->method = "hand";
    plan->graph_name = graph->name;
    plan->graph_hash = cosma_graph_hash(graph);
    cosma_plan_compute_traffic(graph, plan);
    return plan;
}
