/* test_support.h: helpers shared by the Check suites: a diagnostics sink
 * that records messages, and graph builders. */
#ifndef COSMA_TEST_SUPPORT_H
#define COSMA_TEST_SUPPORT_H

#include <cosma/ir.h>

/* Records every message (joined by newlines) for assertions. */
typedef struct {
    cosma_diag_t diag;
    char text[16384];
} test_diag_t;

void test_diag_init(test_diag_t *recorder);
/* Whether any recorded message contains needle. */
int test_diag_contains(const test_diag_t *recorder, const char *needle);

/* A draw in [0, n) from ir's one seeded sequence (cosma_random_next);
 * inline, so the compiler still sees its range where names are printed. */
static inline uint32_t test_random_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(cosma_random_next(state) % n);
}

/* Path of a file in the source tree (static buffer, one at a time). */
const char *test_source_path(const char *relative);

/* Small graphs: tensors are raw-byte sized.  test_graph_tensor adds a
 * tensor of `bytes`; test_graph_op adds an operator whose inputs and
 * outputs are given as comma-separated tensor names. */
cosma_graph_t *test_graph_new(const char *name);
/* Finalizes g (fails the running Check test, with the diagnostics, when
 * it cannot) and returns it. */
cosma_graph_t *test_graph_finalized(cosma_graph_t *g);
int32_t test_graph_tensor(cosma_graph_t *graph, const char *name, cosma_tensor_kind_t kind, uint64_t bytes);
int32_t test_graph_op(cosma_graph_t *graph, const char *name, const char *inputs, const char *outputs);

/* A finalized layered graph of layers x width operators: input x of
 * x_bytes; operator o writes t<o> (outputs in the last layer) of
 * 4..4+size_span-1 bytes and reads the tensor of the operator above it
 * and, in every other layer from the third, one from two layers up (a
 * fixed pseudo-random choice from seed). */
cosma_graph_t *test_graph_layered(int layers, int width, uint32_t seed, uint64_t x_bytes, uint32_t size_span);

/* The example of docs/plan-format.md: graph "tiny" with x (input, 16 B),
 * w (param, 8), a (32), b (16), y (output, 8); op1: x, w -> a;
 * op2: x -> b; op3: a, b -> y.  Its plan at 64 B: a spilled at step 2, x
 * dropped and a retrieved at step 3; intervals given out of canonical
 * order.  Both fail the running Check test when they cannot be built. */
cosma_graph_t *test_doc_graph(void);
cosma_plan_t *test_doc_plan(const cosma_graph_t *graph);

#endif
