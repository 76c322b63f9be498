/* graph.c: building, validating and measuring a graph. */
#include <stdlib.h>
#include <string.h>

#include <cosma/ir.h>

static const char *const kind_names[] = {"input", "activation", "output", "param"};

const char *cosma_tensor_kind_name(cosma_tensor_kind_t kind)
{
    return (unsigned)kind < 4 ? kind_names[kind] : "?";
}

int cosma_tensor_kind_parse(const char *name, cosma_tensor_kind_t *out_kind)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out_kind = (cosma_tensor_kind_t)i;
            return 0;
        }
    return -1;
}

static const struct {
    const char *name;
    uint32_t bytes;
} dtype_table[COSMA_DTYPE_COUNT] = {
    [COSMA_DTYPE_RAW] = {"raw", 0},   [COSMA_DTYPE_F32] = {"f32", 4},  [COSMA_DTYPE_F16] = {"f16", 2},
    [COSMA_DTYPE_BF16] = {"bf16", 2}, [COSMA_DTYPE_F64] = {"f64", 8},  [COSMA_DTYPE_I8] = {"i8", 1},
    [COSMA_DTYPE_U8] = {"u8", 1},     [COSMA_DTYPE_I16] = {"i16", 2},  [COSMA_DTYPE_U16] = {"u16", 2},
    [COSMA_DTYPE_I32] = {"i32", 4},   [COSMA_DTYPE_U32] = {"u32", 4},  [COSMA_DTYPE_I64] = {"i64", 8},
    [COSMA_DTYPE_U64] = {"u64", 8},   [COSMA_DTYPE_BOOL] = {"bool", 1},
};

const char *cosma_dtype_name(cosma_dtype_t dtype)
{
    return (unsigned)dtype < COSMA_DTYPE_COUNT ? dtype_table[dtype].name : "?";
}

int cosma_dtype_parse(const char *name, cosma_dtype_t *out_dtype)
{
    for (int i = 0; i < COSMA_DTYPE_COUNT; i++)
        if (strcmp(name, dtype_table[i].name) == 0) {
            *out_dtype = (cosma_dtype_t)i;
            return 0;
        }
    return -1;
}

uint32_t cosma_dtype_bytes(cosma_dtype_t dtype)
{
    return (unsigned)dtype < COSMA_DTYPE_COUNT ? dtype_table[dtype].bytes : 0;
}

cosma_graph_t *cosma_graph_create(const char *name)
{
    cosma_graph_t *graph = calloc(1, sizeof *graph);
    if (graph == NULL)
        return NULL;
    cosma_arena_init(&graph->arena);
    graph->name = cosma_arena_strdup(&graph->arena, name != NULL ? name : "graph");
    if (graph->name == NULL) {
        cosma_graph_destroy(graph);
        return NULL;
    }
    return graph;
}

void cosma_graph_destroy(cosma_graph_t *graph)
{
    if (graph == NULL)
        return;
    free(graph->tensors);
    free(graph->ops);
    cosma_arena_free(&graph->arena);
    free(graph);
}

static const char *copy_loc_file(cosma_graph_t *graph, const char *file)
{
    /* Every item of a file names the same path: reuse the last copy. */
    if (file == NULL)
        return NULL;
    if (graph->n_tensors > 0) {
        const char *last = graph->tensors[graph->n_tensors - 1].loc.file;
        if (last != NULL && strcmp(last, file) == 0)
            return last;
    }
    if (graph->n_ops > 0) {
        const char *last = graph->ops[graph->n_ops - 1].loc.file;
        if (last != NULL && strcmp(last, file) == 0)
            return last;
    }
    return cosma_arena_strdup(&graph->arena, file);
}

cosma_status_t cosma_graph_add_tensor(cosma_graph_t *graph, const char *name, cosma_tensor_kind_t kind,
                                      cosma_dtype_t dtype, int32_t rank, const int64_t *dims,
                                      uint64_t raw_bytes, cosma_loc_t loc, int32_t *out_index)
{
    if (graph->finalized || name == NULL || (unsigned)kind > COSMA_TENSOR_PARAM ||
        (unsigned)dtype >= COSMA_DTYPE_COUNT || (dtype != COSMA_DTYPE_RAW && rank < 0))
        return COSMA_ERR_USAGE;
    if (cosma_array_reserve((void **)&graph->tensors, &graph->cap_tensors, (size_t)graph->n_tensors + 1,
                            sizeof(cosma_tensor_t)) != 0)
        return COSMA_ERR_NOMEM;
    cosma_tensor_t tensor = {0};
    tensor.name = cosma_arena_strdup(&graph->arena, name);
    tensor.kind = kind;
    tensor.dtype = dtype;
    tensor.rank = dtype == COSMA_DTYPE_RAW ? -1 : rank;
    tensor.raw_bytes = raw_bytes;
    tensor.loc = loc;
    tensor.loc.file = copy_loc_file(graph, loc.file);
    tensor.producer = -1;
    if (tensor.rank > 0) {
        tensor.dims = cosma_arena_calloc(&graph->arena, (size_t)rank, sizeof(int64_t));
        if (tensor.dims == NULL)
            return COSMA_ERR_NOMEM;
        memcpy(tensor.dims, dims, (size_t)rank * sizeof(int64_t));
    }
    if (tensor.name == NULL || (loc.file != NULL && tensor.loc.file == NULL))
        return COSMA_ERR_NOMEM;
    graph->tensors[graph->n_tensors] = tensor;
    if (out_index != NULL)
        *out_index = graph->n_tensors;
    graph->n_tensors++;
    return COSMA_OK;
}

cosma_status_t cosma_graph_add_op(cosma_graph_t *graph, const char *name, const char *type,
                                  const int32_t *inputs, int32_t n_inputs, const int32_t *outputs,
                                  int32_t n_outputs, const cosma_attr_t *attrs, int32_t n_attrs,
                                  cosma_loc_t loc, int32_t *out_index)
{
    if (graph->finalized || name == NULL || type == NULL || n_inputs < 0 || n_outputs < 0 || n_attrs < 0)
        return COSMA_ERR_USAGE;
    for (int32_t i = 0; i < n_inputs; i++)
        if (inputs[i] < -1 || inputs[i] >= graph->n_tensors)
            return COSMA_ERR_USAGE;
    for (int32_t i = 0; i < n_outputs; i++)
        if (outputs[i] < 0 || outputs[i] >= graph->n_tensors)
            return COSMA_ERR_USAGE;
    if (cosma_array_reserve((void **)&graph->ops, &graph->cap_ops, (size_t)graph->n_ops + 1, sizeof(cosma_op_t)) != 0)
        return COSMA_ERR_NOMEM;
    cosma_arena_t *arena = &graph->arena;
    cosma_op_t op = {0};
    op.name = cosma_arena_strdup(arena, name);
    op.type = cosma_arena_strdup(arena, type);
    op.inputs = cosma_arena_calloc(arena, (size_t)n_inputs, sizeof(int32_t));
    op.outputs = cosma_arena_calloc(arena, (size_t)n_outputs, sizeof(int32_t));
    op.attrs = cosma_arena_calloc(arena, (size_t)n_attrs, sizeof(cosma_attr_t));
    op.loc = loc;
    op.loc.file = copy_loc_file(graph, loc.file);
    if (op.name == NULL || op.type == NULL || op.inputs == NULL || op.outputs == NULL || op.attrs == NULL ||
        (loc.file != NULL && op.loc.file == NULL))
        return COSMA_ERR_NOMEM;
    if (n_inputs > 0)
        memcpy(op.inputs, inputs, (size_t)n_inputs * sizeof(int32_t));
    if (n_outputs > 0)
        memcpy(op.outputs, outputs, (size_t)n_outputs * sizeof(int32_t));
    for (int32_t i = 0; i < n_attrs; i++) {
        op.attrs[i].key = cosma_arena_strdup(arena, attrs[i].key);
        op.attrs[i].value = cosma_arena_strdup(arena, attrs[i].value);
        if (op.attrs[i].key == NULL || op.attrs[i].value == NULL)
            return COSMA_ERR_NOMEM;
    }
    op.n_inputs = n_inputs;
    op.n_outputs = n_outputs;
    op.n_attrs = n_attrs;
    graph->ops[graph->n_ops] = op;
    if (out_index != NULL)
        *out_index = graph->n_ops;
    graph->n_ops++;
    return COSMA_OK;
}

/* Sorting context for the name indices (qsort has no context argument). */
typedef struct {
    const char *name;
    int32_t index;
} name_entry_t;

static int compare_name_entries(const void *a, const void *b)
{
    const name_entry_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* Builds a name-sorted index; reports duplicates.  Returns the number of
 * duplicates, or -1 when out of memory. */
static int build_name_index(cosma_graph_t *graph, int is_op, cosma_diag_t *diag, int32_t **out_index)
{
    int32_t n = is_op ? graph->n_ops : graph->n_tensors;
    name_entry_t *entries = malloc(((size_t)n + 1) * sizeof *entries);
    int32_t *index = cosma_arena_calloc(&graph->arena, (size_t)n + 1, sizeof(int32_t));
    if (entries == NULL || index == NULL) {
        free(entries);
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        entries[i].name = is_op ? graph->ops[i].name : graph->tensors[i].name;
        entries[i].index = i;
    }
    qsort(entries, (size_t)n, sizeof *entries, compare_name_entries);
    int duplicates = 0;
    for (int32_t i = 0; i < n; i++) {
        index[i] = entries[i].index;
        if (i > 0 && strcmp(entries[i].name, entries[i - 1].name) == 0) {
            cosma_loc_t loc = is_op ? graph->ops[entries[i].index].loc : graph->tensors[entries[i].index].loc;
            cosma_loc_t first = is_op ? graph->ops[entries[i - 1].index].loc
                                      : graph->tensors[entries[i - 1].index].loc;
            if (first.line > 0)
                cosma_diag_error_at(diag, loc, "duplicate %s name '%s' (first defined at line %d)",
                                    is_op ? "operator" : "tensor", entries[i].name, first.line);
            else
                cosma_diag_error_at(diag, loc, "duplicate %s name '%s'", is_op ? "operator" : "tensor",
                                    entries[i].name);
            duplicates++;
        }
    }
    free(entries);
    *out_index = index;
    return duplicates;
}

static int32_t find_by_name(const cosma_graph_t *graph, const char *name, int is_op)
{
    int32_t n = is_op ? graph->n_ops : graph->n_tensors;
    const int32_t *index = is_op ? graph->op_by_name : graph->tensor_by_name;
    if (name == NULL)
        return -1;
    if (!graph->finalized || index == NULL) {
        for (int32_t i = 0; i < n; i++)
            if (strcmp(is_op ? graph->ops[i].name : graph->tensors[i].name, name) == 0)
                return i;
        return -1;
    }
    int32_t lo = 0, hi = n - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        const char *probe = is_op ? graph->ops[index[mid]].name : graph->tensors[index[mid]].name;
        int c = strcmp(probe, name);
        if (c == 0) {
            /* Leftmost match: the first definition wins. */
            while (mid > 0 && strcmp(is_op ? graph->ops[index[mid - 1]].name
                                           : graph->tensors[index[mid - 1]].name, name) == 0)
                mid--;
            return index[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int32_t cosma_graph_find_tensor(const cosma_graph_t *graph, const char *name)
{
    return find_by_name(graph, name, 0);
}

int32_t cosma_graph_find_op(const cosma_graph_t *graph, const char *name)
{
    return find_by_name(graph, name, 1);
}

int cosma_tensor_bytes(const cosma_tensor_t *tensor, uint32_t elem_bytes, uint64_t *out_bytes)
{
    if (tensor->dtype == COSMA_DTYPE_RAW) {
        *out_bytes = tensor->raw_bytes;
        return 0;
    }
    uint64_t bytes = elem_bytes > 0 ? elem_bytes : cosma_dtype_bytes(tensor->dtype);
    for (int32_t d = 0; d < tensor->rank; d++) {
        if (tensor->dims[d] <= 0)
            return 1;
        if (cosma_u64_mul(bytes, (uint64_t)tensor->dims[d], &bytes))
            return 1;
    }
    *out_bytes = bytes;
    return 0;
}

/* Kahn's algorithm on operator dependencies; reports one operator on a
 * cycle.  Returns 0 when acyclic. */
static int check_acyclic(const cosma_graph_t *graph, cosma_diag_t *diag)
{
    int32_t n = graph->n_ops;
    int32_t *pending = calloc((size_t)n + 1, sizeof(int32_t));
    int32_t *queue = calloc((size_t)n + 1, sizeof(int32_t));
    if (pending == NULL || queue == NULL) {
        free(pending);
        free(queue);
        return -1;
    }
    /* Counted per distinct input, and released once per consumer: an
     * operator reading a tensor many times costs no more. */
    for (int32_t o = 0; o < n; o++) {
        const cosma_op_t *op = &graph->ops[o];
        for (int32_t i = 0; i < op->n_distinct_inputs; i++)
            if (graph->tensors[op->distinct[i]].producer >= 0)
                pending[o]++;
    }
    int32_t head = 0, tail = 0;
    for (int32_t o = 0; o < n; o++)
        if (pending[o] == 0)
            queue[tail++] = o;
    while (head < tail) {
        const cosma_op_t *op = &graph->ops[queue[head++]];
        for (int32_t k = 0; k < op->n_outputs; k++) {
            const cosma_tensor_t *tensor = &graph->tensors[op->outputs[k]];
            for (int32_t c = 0; c < tensor->n_consumers; c++)
                if (--pending[tensor->consumers[c]] == 0)
                    queue[tail++] = tensor->consumers[c];
        }
    }
    int result = 0;
    if (tail < n) {
        for (int32_t o = 0; o < n; o++)
            if (pending[o] > 0) {
                cosma_diag_error_at(diag, graph->ops[o].loc,
                                    "operator '%s' is on a cycle: its inputs depend on its own outputs",
                                    graph->ops[o].name);
                break;
            }
        result = 1;
    }
    free(pending);
    free(queue);
    return result;
}

/* Each operator's distinct tensors (inputs first), in O(operands) with a
 * per-tensor mark (scratch: n_tensors entries), so that operators with
 * very many operands cost linear, not quadratic, time everywhere. */
static int derive_distinct(cosma_graph_t *graph, int32_t *mark)
{
    for (int32_t t = 0; t < graph->n_tensors; t++)
        mark[t] = -1;
    for (int32_t o = 0; o < graph->n_ops; o++) {
        cosma_op_t *op = &graph->ops[o];
        op->distinct = cosma_arena_calloc(&graph->arena, (size_t)op->n_inputs + (size_t)op->n_outputs + 1,
                                          sizeof(int32_t));
        if (op->distinct == NULL)
            return -1;
        op->n_distinct = 0;
        for (int pass = 0; pass < 2; pass++) {
            const int32_t *list = pass == 0 ? op->inputs : op->outputs;
            int32_t n = pass == 0 ? op->n_inputs : op->n_outputs;
            for (int32_t i = 0; i < n; i++)
                if (list[i] >= 0 && mark[list[i]] != o) {
                    mark[list[i]] = o;
                    op->distinct[op->n_distinct++] = list[i];
                }
            if (pass == 0)
                op->n_distinct_inputs = op->n_distinct;
        }
    }
    return 0;
}

cosma_status_t cosma_graph_finalize(cosma_graph_t *graph, cosma_diag_t *diag)
{
    if (graph->finalized)
        return COSMA_OK;
    int errors = 0;
    if (graph->n_ops == 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "graph '%s' has no operators", graph->name);
        return COSMA_ERR_INPUT;
    }
    int dup_tensors = build_name_index(graph, 0, diag, &graph->tensor_by_name);
    int dup_ops = build_name_index(graph, 1, diag, &graph->op_by_name);
    if (dup_tensors < 0 || dup_ops < 0)
        return COSMA_ERR_NOMEM;
    errors += dup_tensors + dup_ops;

    for (int32_t t = 0; t < graph->n_tensors; t++) {
        cosma_tensor_t *tensor = &graph->tensors[t];
        tensor->producer = -1;
        tensor->n_consumers = 0;
        for (int32_t d = 0; d < tensor->rank; d++)
            if (tensor->dims[d] <= 0) {
                cosma_diag_error_at(diag, tensor->loc, "tensor '%s' has a %s dimension (%lld) at axis %d",
                                    tensor->name, tensor->dims[d] == 0 ? "zero" : "negative",
                                    (long long)tensor->dims[d], (int)d);
                errors++;
                break;
            }
        uint64_t bytes = 0;
        int overflow = cosma_tensor_bytes(tensor, 0, &bytes);
        int bad_dim = 0;
        for (int32_t d = 0; d < tensor->rank; d++)
            bad_dim |= tensor->dims[d] <= 0;
        if (!bad_dim && overflow) {
            cosma_diag_error_at(diag, tensor->loc, "tensor '%s': size in bytes overflows 64 bits", tensor->name);
            errors++;
        } else if (!bad_dim && bytes > (UINT64_MAX >> 2)) {
            cosma_diag_error_at(diag, tensor->loc,
                                "tensor '%s' takes %llu bytes, more than 2^62 (the largest tensor cosma plans)",
                                tensor->name, (unsigned long long)bytes);
            errors++;
        } else if (!bad_dim && tensor->dtype == COSMA_DTYPE_RAW && tensor->raw_bytes == 0) {
            cosma_diag_error_at(diag, tensor->loc, "tensor '%s' has zero size", tensor->name);
            errors++;
        }
    }

    for (int32_t o = 0; o < graph->n_ops; o++) {
        const cosma_op_t *op = &graph->ops[o];
        if (op->n_outputs == 0) {
            cosma_diag_error_at(diag, op->loc, "operator '%s' has no outputs", op->name);
            errors++;
        }
        for (int32_t k = 0; k < op->n_outputs; k++) {
            cosma_tensor_t *tensor = &graph->tensors[op->outputs[k]];
            if (tensor->kind == COSMA_TENSOR_INPUT || tensor->kind == COSMA_TENSOR_PARAM) {
                cosma_diag_error_at(diag, op->loc, "operator '%s' writes %s '%s', which no operator may produce",
                                    op->name, cosma_tensor_kind_name(tensor->kind), tensor->name);
                errors++;
            } else if (tensor->producer >= 0) {
                cosma_diag_error_at(diag, op->loc, "tensor '%s' has two producers: '%s' and '%s'", tensor->name,
                                    graph->ops[tensor->producer].name, op->name);
                errors++;
            } else {
                tensor->producer = o;
            }
        }
    }

    /* Consumers: count, then fill, keeping each reading operator once. */
    int32_t *last_reader = malloc(((size_t)graph->n_tensors + 1) * sizeof(int32_t));
    if (last_reader == NULL)
        return COSMA_ERR_NOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t t = 0; t < graph->n_tensors; t++) {
            last_reader[t] = -1;
            if (pass == 1) {
                graph->tensors[t].consumers =
                    cosma_arena_calloc(&graph->arena, (size_t)graph->tensors[t].n_consumers, sizeof(int32_t));
                if (graph->tensors[t].consumers == NULL) {
                    free(last_reader);
                    return COSMA_ERR_NOMEM;
                }
                graph->tensors[t].n_consumers = 0;
            }
        }
        for (int32_t o = 0; o < graph->n_ops; o++) {
            const cosma_op_t *op = &graph->ops[o];
            for (int32_t i = 0; i < op->n_inputs; i++) {
                int32_t t = op->inputs[i];
                if (t < 0 || last_reader[t] == o)
                    continue;
                last_reader[t] = o;
                cosma_tensor_t *tensor = &graph->tensors[t];
                if (pass == 1)
                    tensor->consumers[tensor->n_consumers] = o;
                tensor->n_consumers++;
            }
        }
    }
    if (derive_distinct(graph, last_reader) != 0) {
        free(last_reader);
        return COSMA_ERR_NOMEM;
    }
    free(last_reader);

    for (int32_t t = 0; t < graph->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        int produced_kind = tensor->kind == COSMA_TENSOR_ACTIVATION || tensor->kind == COSMA_TENSOR_OUTPUT;
        /* With duplicate names, references resolve to the first definition:
         * the later ones would all look unproduced. */
        if (produced_kind && tensor->producer < 0 && dup_tensors == 0) {
            if (tensor->n_consumers > 0)
                cosma_diag_error_at(diag, tensor->loc,
                                    "tensor '%s' is read by operator '%s' but never produced, and is not an "
                                    "input or a parameter",
                                    tensor->name, graph->ops[tensor->consumers[0]].name);
            else
                cosma_diag_error_at(diag, tensor->loc, "%s '%s' is never produced by any operator",
                                    cosma_tensor_kind_name(tensor->kind), tensor->name);
            errors++;
        }
    }
    if (errors > 0)
        return COSMA_ERR_INPUT;

    int cyclic = check_acyclic(graph, diag);
    if (cyclic < 0)
        return COSMA_ERR_NOMEM;
    if (cyclic > 0)
        return COSMA_ERR_INPUT;

    /* Acyclic: the default order must still run producers first. */
    for (int32_t o = 0; o < graph->n_ops; o++) {
        const cosma_op_t *op = &graph->ops[o];
        for (int32_t i = 0; i < op->n_inputs; i++) {
            int32_t t = op->inputs[i];
            if (t >= 0 && graph->tensors[t].producer > o) {
                int32_t p = graph->tensors[t].producer;
                cosma_diag_error_at(diag, op->loc,
                                    "default order is not topological: operator '%s' reads '%s', which is "
                                    "produced later by '%s'",
                                    op->name, graph->tensors[t].name, graph->ops[p].name);
                return COSMA_ERR_INPUT;
            }
        }
    }
    graph->finalized = 1;
    return COSMA_OK;
}

int cosma_tensor_is_planned(const cosma_graph_t *graph, int32_t tensor, const cosma_mode_t *mode)
{
    const cosma_tensor_t *t = &graph->tensors[tensor];
    switch (t->kind) {
    case COSMA_TENSOR_PARAM: return mode->with_params && t->n_consumers > 0;
    case COSMA_TENSOR_INPUT: return t->n_consumers > 0;
    default: return 1;
    }
}

/* Below this total, every sum of planned sizes (an operator's operands, the
 * live bytes of a step, a peak) fits in a signed 64-bit integer. */
#define MAX_TOTAL_BYTES (UINT64_MAX >> 1)

cosma_status_t cosma_graph_sizes(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t *out_sizes,
                                 cosma_diag_t *diag)
{
    uint64_t total = 0;
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        out_sizes[t] = 0;
        if (!cosma_tensor_is_planned(graph, t, mode))
            continue;
        if (cosma_tensor_bytes(&graph->tensors[t], mode->elem_bytes, &out_sizes[t])) {
            cosma_diag_error_at(diag, graph->tensors[t].loc, "tensor '%s': size in bytes overflows 64 bits",
                                graph->tensors[t].name);
            return COSMA_ERR_INPUT;
        }
        if (out_sizes[t] > (UINT64_MAX >> 2)) {
            cosma_diag_error_at(diag, graph->tensors[t].loc,
                                "tensor '%s' takes %llu bytes, more than 2^62 (the largest tensor cosma plans)",
                                graph->tensors[t].name, (unsigned long long)out_sizes[t]);
            return COSMA_ERR_INPUT;
        }
        if (cosma_u64_add(total, out_sizes[t], &total) || total > MAX_TOTAL_BYTES) {
            cosma_diag_error_at(diag, graph->tensors[t].loc,
                                "tensor '%s': the planned tensors up to this one take more than 2^63 - 1 bytes "
                                "in all, beyond what cosma can sum",
                                graph->tensors[t].name);
            return COSMA_ERR_INPUT;
        }
    }
    return COSMA_OK;
}

int32_t cosma_op_operands(const cosma_graph_t *graph, int32_t op_index, const cosma_mode_t *mode,
                          int32_t *out_tensors)
{
    const cosma_op_t *op = &graph->ops[op_index];
    int32_t count = 0;
    if (op->distinct != NULL) {
        for (int32_t i = 0; i < op->n_distinct; i++)
            if (cosma_tensor_is_planned(graph, op->distinct[i], mode))
                out_tensors[count++] = op->distinct[i];
        return count;
    }
    for (int32_t pass = 0; pass < 2; pass++) { /* before finalize: quadratic */
        const int32_t *list = pass == 0 ? op->inputs : op->outputs;
        int32_t n = pass == 0 ? op->n_inputs : op->n_outputs;
        for (int32_t i = 0; i < n; i++) {
            int32_t t = list[i];
            if (t < 0 || !cosma_tensor_is_planned(graph, t, mode))
                continue;
            int seen = 0;
            for (int32_t j = 0; j < count && !seen; j++)
                seen = out_tensors[j] == t;
            if (!seen)
                out_tensors[count++] = t;
        }
    }
    return count;
}

int cosma_order_is_topological(const cosma_graph_t *graph, const int32_t *order)
{
    int is = 0;
    return cosma_order_check(graph, order, &is) == COSMA_OK && is;
}

cosma_status_t cosma_order_check(const cosma_graph_t *graph, const int32_t *order, int *out_is)
{
    int32_t n = graph->n_ops;
    int32_t *step = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (step == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t o = 0; o < n; o++)
        step[o] = -1;
    int ok = 1;
    for (int32_t s = 0; s < n && ok; s++) {
        if (order[s] < 0 || order[s] >= n || step[order[s]] >= 0)
            ok = 0;
        else
            step[order[s]] = s;
    }
    for (int32_t o = 0; o < n && ok; o++) {
        const cosma_op_t *op = &graph->ops[o];
        for (int32_t i = 0; i < op->n_inputs && ok; i++) {
            int32_t t = op->inputs[i];
            if (t >= 0 && graph->tensors[t].producer >= 0 && step[graph->tensors[t].producer] >= step[o])
                ok = 0;
        }
    }
    free(step);
    *out_is = ok;
    return COSMA_OK;
}

cosma_status_t cosma_order_peak_checked(const cosma_graph_t *graph, const int32_t *order, const uint64_t *sizes,
                                        uint64_t *out_peak)
{
    int32_t n = graph->n_ops;
    int32_t *step = malloc(((size_t)n + 1) * sizeof(int32_t));
    /* Unsigned births and deaths per step, so every sum is checked. */
    uint64_t *born = calloc((size_t)n + 2, sizeof(uint64_t));
    uint64_t *dead = calloc((size_t)n + 2, sizeof(uint64_t));
    cosma_status_t status = COSMA_ERR_NOMEM;
    uint64_t peak = 0, live = 0;
    if (step == NULL || born == NULL || dead == NULL)
        goto done;
    status = COSMA_ERR_INPUT;
    for (int32_t s = 0; s < n; s++)
        step[order[s]] = s;
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        if (sizes[t] == 0)
            continue;
        int32_t first = tensor->producer >= 0 ? step[tensor->producer] : n;
        int32_t last = tensor->producer >= 0 ? step[tensor->producer] : -1;
        for (int32_t c = 0; c < tensor->n_consumers; c++) {
            int32_t s = step[tensor->consumers[c]];
            if (s < first)
                first = s;
            if (s > last)
                last = s;
        }
        if (first > last)
            continue;
        if (cosma_u64_add(born[first], sizes[t], &born[first]) ||
            cosma_u64_add(dead[last + 1], sizes[t], &dead[last + 1]))
            goto done;
    }
    for (int32_t s = 0; s < n; s++) {
        if (cosma_u64_add(live, born[s], &live))
            goto done;
        live -= dead[s]; /* never below zero: every death follows its birth */
        if (live > peak)
            peak = live;
    }
    *out_peak = peak;
    status = COSMA_OK;
done:
    free(step);
    free(born);
    free(dead);
    return status;
}

uint64_t cosma_order_peak(const cosma_graph_t *graph, const int32_t *order, const uint64_t *sizes)
{
    uint64_t peak = 0;
    return cosma_order_peak_checked(graph, order, sizes, &peak) == COSMA_OK ? peak : UINT64_MAX;
}

cosma_status_t cosma_graph_stats(const cosma_graph_t *graph, uint32_t elem_bytes, cosma_graph_stats_t *out_stats,
                                 cosma_diag_t *diag)
{
    cosma_graph_stats_t stats;
    memset(&stats, 0, sizeof stats);
    stats.n_ops = graph->n_ops;
    stats.n_tensors = graph->n_tensors;
    stats.m_r_op = stats.m_r_params_op = -1;
    size_t n = (size_t)graph->n_tensors + 1;
    uint64_t *sizes = calloc(n, sizeof(uint64_t));
    uint64_t *sizes_params = calloc(n, sizeof(uint64_t));
    int32_t *order = malloc(((size_t)graph->n_ops + 1) * sizeof(int32_t));
    int32_t *operands = NULL;
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (sizes == NULL || sizes_params == NULL || order == NULL)
        goto done;
    cosma_mode_t plain = {0, elem_bytes}, params = {1, elem_bytes};
    if ((status = cosma_graph_sizes(graph, &plain, sizes, diag)) != COSMA_OK ||
        (status = cosma_graph_sizes(graph, &params, sizes_params, diag)) != COSMA_OK)
        goto done;
    status = COSMA_ERR_INPUT;
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        uint64_t bytes = 0;
        if (cosma_tensor_bytes(&graph->tensors[t], elem_bytes, &bytes))
            goto done;
        uint64_t *sum = NULL;
        switch (graph->tensors[t].kind) {
        case COSMA_TENSOR_INPUT: stats.n_inputs++; sum = &stats.input_bytes; break;
        case COSMA_TENSOR_ACTIVATION: stats.n_activations++; sum = &stats.activation_bytes; break;
        case COSMA_TENSOR_OUTPUT: stats.n_outputs++; sum = &stats.output_bytes; break;
        case COSMA_TENSOR_PARAM: stats.n_params++; sum = &stats.param_bytes; break;
        }
        if (cosma_u64_add(*sum, bytes, sum))
            goto done;
    }
    int32_t max_operands = 0;
    for (int32_t o = 0; o < graph->n_ops; o++)
        if (graph->ops[o].n_inputs + graph->ops[o].n_outputs > max_operands)
            max_operands = graph->ops[o].n_inputs + graph->ops[o].n_outputs;
    operands = malloc(((size_t)max_operands + 1) * sizeof(int32_t));
    status = COSMA_ERR_NOMEM;
    if (operands == NULL)
        goto done;
    for (int32_t o = 0; o < graph->n_ops; o++) {
        for (int with = 0; with < 2; with++) {
            cosma_mode_t *mode = with ? &params : &plain;
            const uint64_t *sz = with ? sizes_params : sizes;
            int32_t count = cosma_op_operands(graph, o, mode, operands);
            uint64_t need = 0;
            for (int32_t k = 0; k < count; k++)
                if (cosma_u64_add(need, sz[operands[k]], &need)) {
                    cosma_diag_error_at(diag, graph->ops[o].loc,
                                        "operator '%s': the bytes of its operands overflow 64 bits",
                                        graph->ops[o].name);
                    status = COSMA_ERR_INPUT;
                    goto done;
                }
            uint64_t *best = with ? &stats.m_r_params : &stats.m_r;
            int32_t *best_op = with ? &stats.m_r_params_op : &stats.m_r_op;
            if (need > *best || *best_op < 0) {
                *best = need;
                *best_op = o;
            }
        }
        order[o] = o;
    }
    if ((status = cosma_order_peak_checked(graph, order, sizes, &stats.peak_default)) != COSMA_OK ||
        (status = cosma_order_peak_checked(graph, order, sizes_params, &stats.peak_default_params)) != COSMA_OK) {
        if (status == COSMA_ERR_INPUT)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "graph '%s': live bytes in the default order overflow 64 bits",
                              graph->name);
        goto done;
    }
    *out_stats = stats;
    status = COSMA_OK;
done:
    free(sizes);
    free(sizes_params);
    free(order);
    free(operands);
    return status;
}

/* With the NUL, so names cannot run into each other. */
static uint64_t fnv_string(uint64_t hash, const char *text)
{
    return cosma_hash_bytes(hash, text, strlen(text) + 1);
}

static uint64_t fnv_i64(uint64_t hash, int64_t value)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)((uint64_t)value >> (8 * i));
    return cosma_hash_bytes(hash, le, 8);
}

uint64_t cosma_graph_hash(const cosma_graph_t *graph)
{
    uint64_t hash = COSMA_HASH_INIT;
    hash = fnv_i64(hash, graph->n_tensors);
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        hash = fnv_string(hash, tensor->name);
        hash = fnv_i64(hash, tensor->kind);
        hash = fnv_string(hash, cosma_dtype_name(tensor->dtype));
        hash = fnv_i64(hash, tensor->rank);
        for (int32_t d = 0; d < tensor->rank; d++)
            hash = fnv_i64(hash, tensor->dims[d]);
        if (tensor->dtype == COSMA_DTYPE_RAW)
            hash = fnv_i64(hash, (int64_t)tensor->raw_bytes);
    }
    hash = fnv_i64(hash, graph->n_ops);
    for (int32_t o = 0; o < graph->n_ops; o++) {
        const cosma_op_t *op = &graph->ops[o];
        hash = fnv_string(hash, op->name);
        hash = fnv_string(hash, op->type);
        hash = fnv_i64(hash, op->n_inputs);
        for (int32_t i = 0; i < op->n_inputs; i++)
            hash = fnv_i64(hash, op->inputs[i]);
        hash = fnv_i64(hash, op->n_outputs);
        for (int32_t i = 0; i < op->n_outputs; i++)
            hash = fnv_i64(hash, op->outputs[i]);
    }
    return hash;
}
