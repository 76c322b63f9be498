/* fuzz_plan.c: libFuzzer entry for the plan reader, against the small
 * graph of tests/data/tiny.yaml (compiled in); a plan it accepts is
 * written again and must read back to the same text. */
#include <stdlib.h>
#include <string.h>

#include <cosma/codegen.h>
#include <cosma/frontend.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char tiny_yaml[] =
#include "tiny.yaml.inc"
    ;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    cosma_graph_t *graph = NULL;
    if (cosma_frontend_parse_yaml(tiny_yaml, strlen(tiny_yaml), "tiny.yaml", &graph, NULL) != COSMA_OK)
        abort();
    cosma_plan_t *plan = NULL;
    if (cosma_codegen_parse_plan((const char *)data, size, "fuzz.json", graph, &plan, NULL) == COSMA_OK) {
        cosma_buf_t first, second;
        cosma_buf_init(&first);
        cosma_buf_init(&second);
        cosma_plan_t *again = NULL;
        if (cosma_codegen_emit_plan(graph, plan, &first) != COSMA_OK ||
            cosma_codegen_parse_plan(first.data, first.length, "again.json", graph, &again, NULL) != COSMA_OK ||
            cosma_codegen_emit_plan(graph, again, &second) != COSMA_OK || first.length != second.length ||
            memcmp(first.data, second.data, first.length) != 0)
            abort();
        cosma_plan_destroy(again);
        cosma_buf_free(&first);
        cosma_buf_free(&second);
    }
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return 0;
}
