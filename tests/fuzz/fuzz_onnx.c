/* fuzz_onnx.c: libFuzzer entry for the ONNX importer; a model it accepts
 * is also written as YAML and read back (the round trip must hold). */
#include <stdlib.h>

#include <cosma/frontend.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    cosma_graph_t *graph = NULL;
    if (cosma_frontend_parse_onnx(data, size, "fuzz.onnx", NULL, &graph, NULL) != COSMA_OK)
        return 0;
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    if (cosma_frontend_emit_yaml(graph, &buf) == COSMA_OK && !buf.failed) {
        cosma_graph_t *again = NULL;
        if (cosma_frontend_parse_yaml(buf.data, buf.length, "again.yaml", &again, NULL) != COSMA_OK ||
            cosma_graph_hash(again) != cosma_graph_hash(graph))
            abort();
        cosma_graph_destroy(again);
    }
    cosma_buf_free(&buf);
    cosma_graph_destroy(graph);
    return 0;
}
