/* frontend.h: model files in, graphs out (and graphs back to YAML).
 * The only module that knows libyaml and protobuf-c. */
#ifndef COSMA_FRONTEND_H
#define COSMA_FRONTEND_H

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Binding of a symbolic ONNX dimension (dim_param) to a value. */
typedef struct {
    const char *name;
    int64_t value;
} cosma_dim_binding_t;

typedef struct {
    const cosma_dim_binding_t *dims;
    int32_t n_dims;
    uint32_t elem_bytes; /* recorded as the graph's default override; 0 = none */
} cosma_import_options_t;

/* Reads a YAML graph (docs/graph-format.md).  On success *out_graph is a
 * finalized graph the caller destroys.  Every error names file:line:column. */
cosma_status_t cosma_frontend_read_yaml(const char *path, cosma_graph_t **out_graph, cosma_diag_t *diag);
/* The same from memory; display_name is used in messages. */
cosma_status_t cosma_frontend_parse_yaml(const char *text, size_t length, const char *display_name,
                                         cosma_graph_t **out_graph, cosma_diag_t *diag);

/* Serialises a graph as YAML into buf (reading it back gives the same graph). */
cosma_status_t cosma_frontend_emit_yaml(const cosma_graph_t *graph, cosma_buf_t *buf);
/* Writes the YAML atomically to path ("-" = stdout). */
cosma_status_t cosma_frontend_write_yaml(const cosma_graph_t *graph, const char *path, cosma_diag_t *diag);

/* Imports an ONNX model (nodes, initializers as params, Constant nodes,
 * shapes from value_info / inputs / outputs). */
cosma_status_t cosma_frontend_read_onnx(const char *path, const cosma_import_options_t *options,
                                        cosma_graph_t **out_graph, cosma_diag_t *diag);

/* The same from memory (display_name is used in messages and names the
 * graph).  Models whose messages nest deeper than 100 levels are refused
 * before protobuf-c sees them. */
cosma_status_t cosma_frontend_parse_onnx(const void *data, size_t length, const char *display_name,
                                         const cosma_import_options_t *options, cosma_graph_t **out_graph,
                                         cosma_diag_t *diag);

/* Reads a graph from an ONNX or a YAML file: ONNX when the name ends in
 * .onnx or the content is binary (protobuf), YAML otherwise. */
cosma_status_t cosma_frontend_load(const char *path, const cosma_import_options_t *options,
                                   cosma_graph_t **out_graph, cosma_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_FRONTEND_H */
