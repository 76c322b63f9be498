/* ir_internal.h: rules shared by the files of ir/ only. */
#ifndef COSMA_IR_INTERNAL_H
#define COSMA_IR_INTERNAL_H

#include <cosma/ir.h>

/* The compulsory-load rule of docs/plan-format.md, the only copy outside
 * the verifier (which keeps its own on purpose): of the loads of an input
 * or a parameter, the first in interval order is compulsory.  Sets
 * out_compulsory[i] for intervals[0..n) (others 0); skips intervals whose
 * tensor is out of range.  loaded: n_tensors bytes of zeroed scratch. */
void cosma_mark_compulsory_loads(const cosma_graph_t *graph, const cosma_interval_t *intervals, int32_t n,
                                 unsigned char *loaded, unsigned char *out_compulsory);

#endif /* COSMA_IR_INTERNAL_H */
