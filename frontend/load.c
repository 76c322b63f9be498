/* load.c: picks the reader for a model file: ONNX by extension or by its
 * binary content, YAML otherwise. */
#include <stdlib.h>
#include <string.h>

#include <cosma/frontend.h>

static int has_suffix(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* Bytes of a file's start that decide whether it is binary. */
#define SNIFF_BYTES 512

/* A YAML graph is text; an ONNX model starts with the protobuf tag of
 * ir_version (0x08, a control character YAML forbids) and holds NUL bytes.
 * Other stray control bytes stay YAML's to report, with their position. */
static int looks_binary(const char *data, size_t length)
{
    size_t n = length < SNIFF_BYTES ? length : SNIFF_BYTES;
    return (n > 0 && data[0] == 0x08) || memchr(data, '\0', n) != NULL;
}

cosma_status_t cosma_frontend_load(const char *path, const cosma_import_options_t *options,
                                   cosma_graph_t **out_graph, cosma_diag_t *diag)
{
    *out_graph = NULL;
    char *data = NULL;
    size_t length = 0;
    cosma_status_t status = cosma_file_read(path, &data, &length, diag);
    if (status != COSMA_OK)
        return status;
    if (has_suffix(path, ".onnx") || has_suffix(path, ".ONNX") || looks_binary(data, length)) {
        status = cosma_frontend_parse_onnx(data, length, path, options, out_graph, diag);
    } else {
        status = cosma_frontend_parse_yaml(data, length, path, out_graph, diag);
        if (status == COSMA_OK && options != NULL && options->n_dims > 0)
            cosma_diag_report(diag, COSMA_SEV_WARNING, "--dim applies to ONNX models only; ignored for '%s'", path);
    }
    free(data);
    return status;
}
