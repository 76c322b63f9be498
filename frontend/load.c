/* load.c: picks the reader for a model file by its extension. */
#include <string.h>

#include <cosma/frontend.h>

static int has_suffix(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

cosma_status_t cosma_frontend_load(const char *path, const cosma_import_options_t *options,
                                   cosma_graph_t **out_graph, cosma_diag_t *diag)
{
    *out_graph = NULL;
    if (has_suffix(path, ".onnx") || has_suffix(path, ".ONNX"))
        return cosma_frontend_read_onnx(path, options, out_graph, diag);
    cosma_status_t status = cosma_frontend_read_yaml(path, out_graph, diag);
    if (status == COSMA_OK && options != NULL && options->n_dims > 0)
        cosma_diag_report(diag, COSMA_SEV_WARNING, "--dim applies to ONNX models only; ignored for '%s'", path);
    return status;
}
