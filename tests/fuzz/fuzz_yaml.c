/* fuzz_yaml.c: libFuzzer entry for the YAML graph loader; a graph it
 * accepts is also written back and read again (the round trip must hold). */
#include <stdlib.h>

#include <cosma/frontend.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    cosma_graph_t *graph = NULL;
    if (cosma_frontend_parse_yaml((const char *)data, size, "fuzz.yaml", &graph, NULL) != COSMA_OK)
        return 0;
    cosma_graph_stats_t stats;
    (void)cosma_graph_stats(graph, 0, &stats, NULL);
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    if (cosma_frontend_emit_yaml(graph, &buf) == COSMA_OK && !buf.failed) {
        cosma_graph_t *again = NULL;
        if (cosma_frontend_parse_yaml(buf.data, buf.length, "again.yaml", &again, NULL) != COSMA_OK ||
            cosma_graph_hash(again) != cosma_graph_hash(graph))
            abort(); /* the writer produced YAML the reader rejects or reads differently */
        cosma_graph_destroy(again);
    }
    cosma_buf_free(&buf);
    cosma_graph_destroy(graph);
    return 0;
}
