/* codegen.h: the plan file (writer and reader: the contract with the
 * runtime), the deployment C header, the JSON summary and the SVG picture. */
#ifndef COSMA_CODEGEN_H
#define COSMA_CODEGEN_H

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COSMA_PLAN_FORMAT_VERSION 1

/* Serialises a plan as deterministic JSON (docs/plan-format.md). */
cosma_status_t cosma_codegen_emit_plan(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_buf_t *buf);
cosma_status_t cosma_codegen_write_plan(const cosma_graph_t *graph, const cosma_plan_t *plan, const char *path,
                                        cosma_diag_t *diag);

/* Reads a plan file.  Tensors and operators are resolved by name in graph;
 * a plan made for another graph (hash mismatch) is an error. */
cosma_status_t cosma_codegen_read_plan(const char *path, const cosma_graph_t *graph, cosma_plan_t **out_plan,
                                       cosma_diag_t *diag);
cosma_status_t cosma_codegen_parse_plan(const char *text, size_t length, const char *display_name,
                                        const cosma_graph_t *graph, cosma_plan_t **out_plan, cosma_diag_t *diag);

/* The machine-readable summary of a plan: one JSON object with status,
 * method, budget_bytes, non_compulsory_bytes, spill_bytes, retrieve_bytes,
 * compulsory_bytes, lower_bound_bytes, gap, peak_bytes, solve_seconds. */
cosma_status_t cosma_codegen_emit_summary(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_buf_t *buf);

/* The plan as static C arrays for builds without a file system. */
cosma_status_t cosma_codegen_write_c_header(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                            const char *path, cosma_diag_t *diag);

/* The scratchpad over time as an SVG picture. */
cosma_status_t cosma_codegen_write_svg(const cosma_graph_t *graph, const cosma_plan_t *plan, const char *path,
                                       cosma_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_CODEGEN_H */
