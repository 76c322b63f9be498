/* onnx_reader.c: imports an ONNX model (protobuf-c bindings generated from
 * libonnx-dev's onnx.proto) into a cosma graph.  Initializers and the
 * outputs of Constant nodes become params, every other node an operator in
 * file order; shapes come from graph.input / graph.output / value_info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/frontend.h>
#include "onnx.pb-c.h"

/* A flood of identical messages (one symbolic batch dimension missing on
 * every tensor) hides the point; report this many, then a count. */
#define MAX_SHAPE_ERRORS 10

/* Longest attribute text kept; attributes are informational only. */
#define MAX_ATTR_TEXT 256

/* ---- a string -> index map (open addressing) ------------------------- */

/* Keys point into the unpacked model (or the graph's arena), which outlive
 * the map.  In the tensor map, UNSHAPED marks a name that is defined but
 * whose shape or type was rejected (already reported). */
#define ABSENT (-1)
#define UNSHAPED (-2)
typedef struct {
    const char **keys;
    int32_t *values;
    size_t mask;
} name_map_t;

static int map_init(name_map_t *map, size_t expected)
{
    size_t capacity = 16;
    while (capacity < 2 * expected + 1)
        capacity *= 2;
    map->keys = calloc(capacity, sizeof *map->keys);
    map->values = calloc(capacity, sizeof *map->values);
    map->mask = capacity - 1;
    return map->keys != NULL && map->values != NULL ? 0 : -1;
}

static void map_free(name_map_t *map)
{
    free(map->keys);
    free(map->values);
}

static size_t hash_name(const char *name)
{
    return (size_t)cosma_hash_string(COSMA_HASH_INIT, name);
}

static int32_t map_get(const name_map_t *map, const char *name)
{
    for (size_t slot = hash_name(name) & map->mask; map->keys[slot] != NULL; slot = (slot + 1) & map->mask)
        if (strcmp(map->keys[slot], name) == 0)
            return map->values[slot];
    return ABSENT;
}

/* Inserts name unless present (the first definition wins).  The caller
 * sized the map for every insertion, so a free slot always exists. */
static void map_put(name_map_t *map, const char *name, int32_t value)
{
    size_t slot = hash_name(name) & map->mask;
    for (; map->keys[slot] != NULL; slot = (slot + 1) & map->mask)
        if (strcmp(map->keys[slot], name) == 0)
            return;
    map->keys[slot] = name;
    map->values[slot] = value;
}

/* ---- nesting depth, before protobuf-c (which recurses without a limit) -- */

/* Messages nest Model > Graph > Node > Attribute > Graph ...; three levels
 * per subgraph.  100 allows some 30 nested If/Loop bodies and keeps
 * protobuf-c's recursion far from the stack's end. */
#define ONNX_MAX_DEPTH 100

/* The message types of onnx.proto that take part in a recursive cycle,
 * and the fields that lead from one to another.  Every other field is
 * skipped: it cannot nest without bound. */
typedef enum { K_MODEL, K_TRAINING, K_FUNCTION, K_GRAPH, K_VALUE_INFO, K_NODE, K_ATTR, K_TYPE, K_TYPE_ELEM } kind_t;
typedef struct {
    kind_t parent;
    uint32_t field;
    kind_t child;
} edge_t;
static const edge_t onnx_edges[] = {
    {K_MODEL, 7, K_GRAPH},         {K_MODEL, 20, K_TRAINING},   {K_MODEL, 25, K_FUNCTION},
    {K_TRAINING, 1, K_GRAPH},      {K_TRAINING, 2, K_GRAPH},    {K_FUNCTION, 7, K_NODE},
    {K_GRAPH, 1, K_NODE},          {K_GRAPH, 11, K_VALUE_INFO}, {K_GRAPH, 12, K_VALUE_INFO},
    {K_GRAPH, 13, K_VALUE_INFO},   {K_VALUE_INFO, 2, K_TYPE},   {K_NODE, 5, K_ATTR},
    {K_ATTR, 6, K_GRAPH},          {K_ATTR, 11, K_GRAPH},       {K_ATTR, 14, K_TYPE},
    {K_ATTR, 15, K_TYPE},          {K_TYPE, 4, K_TYPE_ELEM},    {K_TYPE, 5, K_TYPE_ELEM},
    {K_TYPE, 9, K_TYPE_ELEM},      {K_TYPE_ELEM, 1, K_TYPE},    {K_TYPE_ELEM, 2, K_TYPE},
};

static int child_kind(kind_t parent, uint32_t field, kind_t *out_child)
{
    for (size_t e = 0; e < sizeof onnx_edges / sizeof onnx_edges[0]; e++)
        if (onnx_edges[e].parent == parent && onnx_edges[e].field == field) {
            *out_child = onnx_edges[e].child;
            return 1;
        }
    return 0;
}

/* Reads a varint at *at (below end); 0 when malformed. */
static int read_varint(const uint8_t *data, size_t end, size_t *at, uint64_t *out_value)
{
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && *at < end; shift += 7) {
        uint8_t byte = data[(*at)++];
        value |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *out_value = value;
            return 1;
        }
    }
    return 0;
}

/* Walks the wire format without recursion.  Returns 0 when the nesting is
 * within ONNX_MAX_DEPTH or the data is malformed (protobuf-c then rejects
 * it), else the byte offset (+1) of the message that goes too deep. */
static size_t onnx_too_deep(const uint8_t *data, size_t length)
{
    struct {
        kind_t kind;
        size_t end;
    } stack[ONNX_MAX_DEPTH];
    int depth = 0;
    stack[0].kind = K_MODEL;
    stack[0].end = length;
    size_t at = 0;
    for (;;) {
        while (depth > 0 && at == stack[depth].end)
            depth--;
        if (at >= stack[depth].end)
            return 0;
        uint64_t tag, value;
        if (!read_varint(data, stack[depth].end, &at, &tag))
            return 0;
        switch (tag & 7) {
        case 0:
            if (!read_varint(data, stack[depth].end, &at, &value))
                return 0;
            break;
        case 1: at += 8; break;
        case 5: at += 4; break;
        case 2: {
            kind_t child;
            if (!read_varint(data, stack[depth].end, &at, &value) || value > stack[depth].end - at)
                return 0;
            if (!child_kind(stack[depth].kind, (uint32_t)(tag >> 3), &child)) {
                at += (size_t)value;
                break;
            }
            if (depth + 1 >= ONNX_MAX_DEPTH)
                return at + 1;
            depth++;
            stack[depth].kind = child;
            stack[depth].end = at + (size_t)value;
            break;
        }
        default: return 0; /* groups or garbage */
        }
        if (at > stack[depth].end)
            return 0;
    }
}

/* protobuf-c returns NULL both for bad data and for a failed allocation:
 * this allocator tells them apart. */
typedef struct {
    int failed;
} pb_alloc_state_t;

static void *pb_alloc(void *data, size_t size)
{
    void *p = malloc(size);
    if (p == NULL)
        ((pb_alloc_state_t *)data)->failed = 1;
    return p;
}

static void pb_free(void *data, void *p)
{
    (void)data;
    free(p);
}

/* Replaces the value of a name already in the map. */
static void map_set(name_map_t *map, const char *name, int32_t value)
{
    for (size_t slot = hash_name(name) & map->mask; map->keys[slot] != NULL; slot = (slot + 1) & map->mask)
        if (strcmp(map->keys[slot], name) == 0) {
            map->values[slot] = value;
            return;
        }
}

/* ---- element types and shapes ---------------------------------------- */

static const char *onnx_type_name(int32_t type)
{
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED: return "UNDEFINED";
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return "FLOAT";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return "UINT8";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return "INT8";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return "UINT16";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return "INT16";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return "INT32";
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return "INT64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__STRING: return "STRING";
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return "BOOL";
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return "FLOAT16";
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return "DOUBLE";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return "UINT32";
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return "UINT64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64: return "COMPLEX64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128: return "COMPLEX128";
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return "BFLOAT16";
    default: return "an unknown type";
    }
}

/* Returns 0 and sets *out_dtype for element types cosma can size. */
static int map_dtype(int32_t type, cosma_dtype_t *out_dtype)
{
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *out_dtype = COSMA_DTYPE_F32; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *out_dtype = COSMA_DTYPE_F16; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *out_dtype = COSMA_DTYPE_BF16; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *out_dtype = COSMA_DTYPE_F64; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *out_dtype = COSMA_DTYPE_I8; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *out_dtype = COSMA_DTYPE_U8; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: *out_dtype = COSMA_DTYPE_I16; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *out_dtype = COSMA_DTYPE_U16; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *out_dtype = COSMA_DTYPE_I32; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: *out_dtype = COSMA_DTYPE_U32; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *out_dtype = COSMA_DTYPE_I64; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *out_dtype = COSMA_DTYPE_U64; return 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *out_dtype = COSMA_DTYPE_BOOL; return 0;
    default: return -1;
    }
}

/* The element type and static shape of one tensor, as found in the file. */
typedef struct {
    cosma_dtype_t dtype;
    int32_t rank;
    int64_t *dims; /* malloc'd, rank entries (NULL for scalars) */
} shape_t;

/* State of one import. */
typedef struct {
    const char *path;
    const cosma_import_options_t *options;
    cosma_diag_t *diag;
    cosma_loc_t loc;
    cosma_graph_t *graph;
    int n_errors; /* shape and type errors, capped in what is reported */
} reader_t;

static void shape_error(reader_t *reader, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void shape_error(reader_t *reader, const char *fmt, ...)
{
    reader->n_errors++;
    if (reader->n_errors > MAX_SHAPE_ERRORS)
        return;
    char message[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cosma_diag_error_at(reader->diag, reader->loc, "%s", message);
}

static int check_dtype(reader_t *reader, const char *name, int32_t type, cosma_dtype_t *out_dtype)
{
    if (map_dtype(type, out_dtype) == 0)
        return 0;
    shape_error(reader, "tensor '%s' has element type %s (%d), which cosma does not support", name,
                onnx_type_name(type), (int)type);
    return -1;
}

static int alloc_dims(reader_t *reader, size_t rank, shape_t *out_shape)
{
    if (rank > INT32_MAX) {
        shape_error(reader, "tensor rank %zu is too large", rank);
        return -1;
    }
    out_shape->rank = (int32_t)rank;
    out_shape->dims = NULL;
    if (rank == 0)
        return 0;
    out_shape->dims = calloc(rank, sizeof(int64_t));
    return out_shape->dims != NULL ? 0 : -2;
}

/* Shape of a TensorProto (initializers, Constant values).  Returns 0, -1
 * on a reported error, -2 when out of memory. */
static int tensor_proto_shape(reader_t *reader, const char *name, const Onnx__TensorProto *proto,
                              shape_t *out_shape)
{
    if (check_dtype(reader, name, proto->has_data_type ? proto->data_type : 0, &out_shape->dtype) != 0)
        return -1;
    int result = alloc_dims(reader, proto->n_dims, out_shape);
    if (result != 0)
        return result;
    for (size_t d = 0; d < proto->n_dims; d++)
        out_shape->dims[d] = proto->dims[d];
    return 0;
}

static int bound_dim(const reader_t *reader, const char *symbol, int64_t *out_value)
{
    if (reader->options == NULL)
        return -1;
    for (int32_t i = 0; i < reader->options->n_dims; i++)
        if (reader->options->dims[i].name != NULL && strcmp(reader->options->dims[i].name, symbol) == 0) {
            *out_value = reader->options->dims[i].value;
            return 0;
        }
    return -1;
}

/* Shape of a ValueInfoProto, resolving symbolic dimensions through the
 * --dim bindings. */
static int value_info_shape(reader_t *reader, const char *name, const Onnx__ValueInfoProto *info,
                            shape_t *out_shape)
{
    const Onnx__TypeProto *type = info->type;
    if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || type->tensor_type == NULL) {
        shape_error(reader, "tensor '%s' is not a dense tensor (sequence, map, optional or untyped value)", name);
        return -1;
    }
    const Onnx__TypeProto__Tensor *tensor = type->tensor_type;
    if (check_dtype(reader, name, tensor->has_elem_type ? tensor->elem_type : 0, &out_shape->dtype) != 0)
        return -1;
    if (tensor->shape == NULL) {
        shape_error(reader, "tensor '%s' has no static shape (its value_info gives no shape)", name);
        return -1;
    }
    const Onnx__TensorShapeProto *shape = tensor->shape;
    int result = alloc_dims(reader, shape->n_dim, out_shape);
    if (result != 0)
        return result;
    for (size_t d = 0; d < shape->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = shape->dim[d];
        if (dim != NULL && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            out_shape->dims[d] = dim->dim_value;
        } else if (dim != NULL && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dim->dim_param != NULL && dim->dim_param[0] != '\0') {
            if (bound_dim(reader, dim->dim_param, &out_shape->dims[d]) != 0) {
                shape_error(reader,
                            "tensor '%s': symbolic dimension '%s' at axis %zu has no value; bind it with "
                            "--dim %s=VALUE",
                            name, dim->dim_param, d, dim->dim_param);
                free(out_shape->dims);
                out_shape->dims = NULL;
                return -1;
            }
        } else {
            shape_error(reader, "tensor '%s' has no static shape: dimension %zu is unknown", name, d);
            free(out_shape->dims);
            out_shape->dims = NULL;
            return -1;
        }
    }
    return 0;
}

/* Dense shape of a sparse tensor (sparse initializers, Constant). */
static int sparse_shape(reader_t *reader, const char *name, const Onnx__SparseTensorProto *sparse,
                        shape_t *out_shape)
{
    int32_t type = sparse->values != NULL && sparse->values->has_data_type ? sparse->values->data_type : 0;
    if (check_dtype(reader, name, type, &out_shape->dtype) != 0)
        return -1;
    int result = alloc_dims(reader, sparse->n_dims, out_shape);
    if (result != 0)
        return result;
    for (size_t d = 0; d < sparse->n_dims; d++)
        out_shape->dims[d] = sparse->dims[d];
    return 0;
}

/* Shape of a Constant node's output, from its value attribute. */
static int constant_shape(reader_t *reader, const char *name, const Onnx__NodeProto *node, shape_t *out_shape)
{
    for (size_t a = 0; a < node->n_attribute; a++) {
        const Onnx__AttributeProto *attr = node->attribute[a];
        if (attr == NULL || attr->name == NULL)
            continue;
        const char *key = attr->name;
        if (strcmp(key, "value") == 0 && attr->t != NULL)
            return tensor_proto_shape(reader, name, attr->t, out_shape);
        if (strcmp(key, "sparse_value") == 0 && attr->sparse_tensor != NULL)
            return sparse_shape(reader, name, attr->sparse_tensor, out_shape);
        int is_float = strcmp(key, "value_float") == 0, is_floats = strcmp(key, "value_floats") == 0;
        int is_int = strcmp(key, "value_int") == 0, is_ints = strcmp(key, "value_ints") == 0;
        if (is_float || is_int) {
            out_shape->dtype = is_float ? COSMA_DTYPE_F32 : COSMA_DTYPE_I64;
            return alloc_dims(reader, 0, out_shape);
        }
        if (is_floats || is_ints) {
            out_shape->dtype = is_floats ? COSMA_DTYPE_F32 : COSMA_DTYPE_I64;
            int result = alloc_dims(reader, 1, out_shape);
            if (result == 0)
                out_shape->dims[0] = (int64_t)(is_floats ? attr->n_floats : attr->n_ints);
            return result;
        }
        if (strcmp(key, "value_string") == 0 || strcmp(key, "value_strings") == 0) {
            shape_error(reader, "tensor '%s' (Constant) holds strings, which cosma does not support", name);
            return -1;
        }
    }
    shape_error(reader, "Constant node producing '%s' has no value attribute", name);
    return -1;
}

/* ---- operator attributes --------------------------------------------- */

/* Attribute strings are bytes: keep the prefix that is UTF-8 text. */
static void append_text(cosma_buf_t *buf, const char *text, size_t length)
{
    if (length == 0)
        return; /* protobuf-c leaves an empty string's data NULL */
    size_t valid = cosma_utf8_invalid_at(text, length);
    const char *nul = memchr(text, '\0', valid);
    cosma_buf_append(buf, text, nul != NULL ? (size_t)(nul - text) : valid);
}

/* Text form of an attribute into buf; returns 0 when it has one (tensors
 * and graphs are skipped: the planner never reads them). */
static int attr_text(const Onnx__AttributeProto *attr, cosma_buf_t *buf)
{
    Onnx__AttributeProto__AttributeType type = attr->has_type ? attr->type : 0;
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: cosma_buf_printf(buf, "%lld", (long long)attr->i); return 0;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: cosma_buf_printf(buf, "%.9g", (double)attr->f); return 0;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        append_text(buf, (const char *)attr->s.data, attr->s.len);
        return 0;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
        size_t count = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS     ? attr->n_ints
                       : type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? attr->n_floats
                                                                                : attr->n_strings;
        cosma_buf_puts(buf, "[");
        for (size_t k = 0; k < count && buf->length <= MAX_ATTR_TEXT; k++) {
            if (k > 0)
                cosma_buf_puts(buf, ", ");
            if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
                cosma_buf_printf(buf, "%lld", (long long)attr->ints[k]);
            else if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
                cosma_buf_printf(buf, "%.9g", (double)attr->floats[k]);
            else
                append_text(buf, (const char *)attr->strings[k].data, attr->strings[k].len);
        }
        cosma_buf_puts(buf, "]");
        return 0;
    }
    default: return -1;
    }
}

/* ---- building the graph ---------------------------------------------- */

static int is_constant(const Onnx__NodeProto *node)
{
    int default_domain = node->domain == NULL || node->domain[0] == '\0' || strcmp(node->domain, "ai.onnx") == 0;
    return default_domain && node->op_type != NULL && strcmp(node->op_type, "Constant") == 0;
}

static int nonempty(const char *name)
{
    return name != NULL && name[0] != '\0';
}

/* Adds a tensor with the given shape; frees the shape's dims. */
static cosma_status_t add_shaped(reader_t *reader, const char *name, cosma_tensor_kind_t kind, shape_t *shape,
                                 name_map_t *tensors)
{
    int32_t index = -1;
    cosma_status_t status = cosma_graph_add_tensor(reader->graph, name, kind, shape->dtype, shape->rank,
                                                   shape->dims, 0, reader->loc, &index);
    free(shape->dims);
    shape->dims = NULL;
    if (status == COSMA_OK)
        map_put(tensors, name, index);
    return status;
}

/* Adds a tensor whose shape comes from input / output / value_info.  A
 * shape error is counted and the tensor skipped: the import fails at the
 * end, after every such problem has been reported. */
static cosma_status_t add_from_info(reader_t *reader, const Onnx__GraphProto *proto, const name_map_t *infos,
                                    const char *name, cosma_tensor_kind_t kind, name_map_t *tensors)
{
    int32_t at = map_get(infos, name);
    if (at < 0) {
        shape_error(reader,
                    "tensor '%s' has no static shape: it is in none of graph.input, graph.output and "
                    "graph.value_info (run ONNX shape inference on the model first)",
                    name);
        map_put(tensors, name, UNSHAPED);
        return COSMA_OK;
    }
    size_t n_in = proto->n_input, n_out = proto->n_output;
    const Onnx__ValueInfoProto *info = (size_t)at < n_in           ? proto->input[at]
                                       : (size_t)at < n_in + n_out ? proto->output[(size_t)at - n_in]
                                                                   : proto->value_info[(size_t)at - n_in - n_out];
    shape_t shape = {0};
    int result = value_info_shape(reader, name, info, &shape);
    if (result == -2)
        return COSMA_ERR_NOMEM;
    if (result != 0) {
        map_put(tensors, name, UNSHAPED);
        return COSMA_OK;
    }
    return add_shaped(reader, name, kind, &shape, tensors);
}

static cosma_status_t add_tensors(reader_t *reader, const Onnx__GraphProto *proto, const name_map_t *infos,
                                  const name_map_t *outputs, name_map_t *tensors)
{
    cosma_status_t status = COSMA_OK;
    name_map_t initializers;
    if (map_init(&initializers, proto->n_initializer + proto->n_sparse_initializer) != 0) {
        map_free(&initializers);
        return COSMA_ERR_NOMEM;
    }
    for (size_t i = 0; i < proto->n_initializer; i++)
        if (proto->initializer[i] != NULL && nonempty(proto->initializer[i]->name))
            map_put(&initializers, proto->initializer[i]->name, (int32_t)i);
    for (size_t i = 0; i < proto->n_sparse_initializer; i++) {
        const Onnx__SparseTensorProto *sparse = proto->sparse_initializer[i];
        if (sparse != NULL && sparse->values != NULL && nonempty(sparse->values->name))
            map_put(&initializers, sparse->values->name, (int32_t)i);
    }

    /* Graph inputs that are also initializers are weights with a default
     * (older exporters list them as inputs): they become params below. */
    for (size_t i = 0; i < proto->n_input && status == COSMA_OK; i++) {
        const Onnx__ValueInfoProto *info = proto->input[i];
        if (info == NULL || !nonempty(info->name)) {
            shape_error(reader, "graph input %zu has no name", i);
            continue;
        }
        if (map_get(&initializers, info->name) < 0)
            status = add_from_info(reader, proto, infos, info->name, COSMA_TENSOR_INPUT, tensors);
    }
    for (size_t i = 0; i < proto->n_initializer && status == COSMA_OK; i++) {
        const Onnx__TensorProto *init = proto->initializer[i];
        if (init == NULL || !nonempty(init->name)) {
            shape_error(reader, "initializer %zu has no name", i);
            continue;
        }
        shape_t shape = {0};
        int result = tensor_proto_shape(reader, init->name, init, &shape);
        if (result == -2)
            status = COSMA_ERR_NOMEM;
        else if (result == 0)
            status = add_shaped(reader, init->name, COSMA_TENSOR_PARAM, &shape, tensors);
        else
            map_put(tensors, init->name, UNSHAPED);
    }
    /* A sparse initializer is named by its values tensor; its dense shape
     * is what an operator reads. */
    for (size_t i = 0; i < proto->n_sparse_initializer && status == COSMA_OK; i++) {
        const Onnx__SparseTensorProto *sparse = proto->sparse_initializer[i];
        if (sparse == NULL || sparse->values == NULL || !nonempty(sparse->values->name)) {
            shape_error(reader, "sparse initializer %zu has no name", i);
            continue;
        }
        shape_t shape = {0};
        int result = sparse_shape(reader, sparse->values->name, sparse, &shape);
        if (result == -2)
            status = COSMA_ERR_NOMEM;
        else if (result == 0)
            status = add_shaped(reader, sparse->values->name, COSMA_TENSOR_PARAM, &shape, tensors);
        else
            map_put(tensors, sparse->values->name, UNSHAPED);
    }
    map_free(&initializers);

    /* Every node's outputs exist before any operator is added, so a node
     * that reads a later node's output is reported as an order problem by
     * cosma_graph_finalize, not as an unknown name. */
    for (size_t n = 0; n < proto->n_node && status == COSMA_OK; n++) {
        const Onnx__NodeProto *node = proto->node[n];
        if (node == NULL)
            continue;
        if (is_constant(node)) {
            if (node->n_output != 1 || !nonempty(node->output[0])) {
                shape_error(reader, "Constant node %zu ('%s') must have exactly one named output", n,
                            nonempty(node->name) ? node->name : "");
                continue;
            }
            if (map_get(tensors, node->output[0]) != ABSENT)
                continue; /* a second definition: finalize names the clash */
            shape_t shape = {0};
            int result = constant_shape(reader, node->output[0], node, &shape);
            if (result == -2)
                status = COSMA_ERR_NOMEM;
            else if (result == 0)
                status = add_shaped(reader, node->output[0], COSMA_TENSOR_PARAM, &shape, tensors);
            else
                map_put(tensors, node->output[0], UNSHAPED);
            continue;
        }
        for (size_t k = 0; k < node->n_output && status == COSMA_OK; k++) {
            const char *name = node->output[k];
            if (!nonempty(name) || map_get(tensors, name) != ABSENT)
                continue;
            cosma_tensor_kind_t kind = map_get(outputs, name) >= 0 ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION;
            status = add_from_info(reader, proto, infos, name, kind, tensors);
        }
    }
    /* Graph outputs no node produces: kept so that finalize reports them. */
    for (size_t i = 0; i < proto->n_output && status == COSMA_OK; i++) {
        const Onnx__ValueInfoProto *info = proto->output[i];
        if (info == NULL || !nonempty(info->name)) {
            shape_error(reader, "graph output %zu has no name", i);
            continue;
        }
        int32_t existing = map_get(tensors, info->name);
        if (existing == ABSENT)
            status = add_from_info(reader, proto, infos, info->name, COSMA_TENSOR_OUTPUT, tensors);
        else if (existing >= 0 && reader->graph->tensors[existing].kind != COSMA_TENSOR_OUTPUT)
            cosma_diag_report(reader->diag, COSMA_SEV_WARNING,
                              "%s: graph output '%s' is not computed by any operator (it is %s); imported "
                              "as %s, with no output store",
                              reader->path, info->name,
                              reader->graph->tensors[existing].kind == COSMA_TENSOR_INPUT ? "a graph input"
                                                                                           : "a constant",
                              cosma_tensor_kind_name(reader->graph->tensors[existing].kind));
    }
    return status;
}

/* Operator name: the node's, or "<op_type>_<index>"; a numeric suffix
 * makes repeats unique (the name index needs unique names).  next_suffix
 * remembers, per base name, where the search for a free suffix resumes,
 * so that n nodes of one name cost O(n), not O(n^2). */
static cosma_status_t op_name(reader_t *reader, const Onnx__NodeProto *node, int32_t op_index,
                              const name_map_t *used, name_map_t *next_suffix, cosma_buf_t *out_name)
{
    out_name->length = 0;
    if (nonempty(node->name))
        cosma_buf_puts(out_name, node->name);
    else
        cosma_buf_printf(out_name, "%s_%d", nonempty(node->op_type) ? node->op_type : "op", (int)op_index);
    if (out_name->failed)
        return COSMA_ERR_NOMEM;
    if (map_get(used, out_name->data) == ABSENT)
        return COSMA_OK;
    size_t base_length = out_name->length;
    int32_t suffix = map_get(next_suffix, out_name->data);
    const char *base = NULL;
    if (suffix == ABSENT) {
        suffix = 2;
        if ((base = cosma_arena_strdup(&reader->graph->arena, out_name->data)) == NULL)
            return COSMA_ERR_NOMEM;
    }
    for (;; suffix++) {
        out_name->length = base_length;
        out_name->data[base_length] = '\0';
        cosma_buf_printf(out_name, "_%d", (int)suffix);
        if (out_name->failed)
            return COSMA_ERR_NOMEM;
        if (map_get(used, out_name->data) == ABSENT)
            break;
    }
    out_name->data[base_length] = '\0';
    if (base != NULL)
        map_put(next_suffix, base, suffix + 1);
    else
        map_set(next_suffix, out_name->data, suffix + 1);
    out_name->data[base_length] = '_';
    return COSMA_OK;
}

static cosma_status_t add_operators(reader_t *reader, const Onnx__GraphProto *proto, const name_map_t *tensors)
{
    size_t max_operands = 0, max_attrs = 0;
    for (size_t n = 0; n < proto->n_node; n++)
        if (proto->node[n] != NULL) {
            size_t operands = proto->node[n]->n_input + proto->node[n]->n_output;
            max_operands = operands > max_operands ? operands : max_operands;
            max_attrs = proto->node[n]->n_attribute > max_attrs ? proto->node[n]->n_attribute : max_attrs;
        }
    int32_t *inputs = calloc(max_operands + 1, sizeof(int32_t));
    int32_t *outputs = calloc(max_operands + 1, sizeof(int32_t));
    cosma_attr_t *attrs = calloc(max_attrs + 1, sizeof(cosma_attr_t));
    cosma_buf_t *texts = calloc(max_attrs + 1, sizeof(cosma_buf_t));
    cosma_buf_t name, type;
    cosma_buf_init(&name);
    cosma_buf_init(&type);
    /* The map keys on copies in the graph's arena, which outlives it. */
    name_map_t used, next_suffix;
    int map_failed = map_init(&used, proto->n_node);
    map_failed |= map_init(&next_suffix, proto->n_node);
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (inputs == NULL || outputs == NULL || attrs == NULL || texts == NULL || map_failed)
        goto done;
    for (size_t a = 0; a <= max_attrs; a++)
        cosma_buf_init(&texts[a]);
    status = COSMA_OK;
    int bad_nodes = 0; /* reported here: no op_type, unresolved input */
    int32_t op_index = 0; /* counts operators even when one is skipped */
    for (size_t n = 0; n < proto->n_node && status == COSMA_OK; n++) {
        const Onnx__NodeProto *node = proto->node[n];
        if (node == NULL || is_constant(node))
            continue;
        op_index++;
        if (!nonempty(node->op_type)) {
            cosma_diag_error_at(reader->diag, reader->loc, "node %zu ('%s') has no op_type", n,
                                nonempty(node->name) ? node->name : "");
            bad_nodes++;
            continue;
        }
        if ((status = op_name(reader, node, op_index - 1, &used, &next_suffix, &name)) != COSMA_OK)
            break;
        /* Registered even if the operator is skipped below, so that names
         * in error messages match those of a successful import. */
        const char *stored_name = cosma_arena_strdup(&reader->graph->arena, name.data);
        if (stored_name == NULL) {
            status = COSMA_ERR_NOMEM;
            break;
        }
        map_put(&used, stored_name, op_index - 1);
        int32_t n_inputs = 0, n_outputs = 0, n_attrs = 0;
        for (size_t i = 0; i < node->n_input; i++) {
            if (!nonempty(node->input[i])) {
                inputs[n_inputs++] = -1; /* omitted optional input */
                continue;
            }
            int32_t t = map_get(tensors, node->input[i]);
            if (t == ABSENT && ++bad_nodes <= MAX_SHAPE_ERRORS)
                cosma_diag_error_at(reader->diag, reader->loc,
                                    "operator '%s' reads '%s', which is not a graph input, an initializer "
                                    "or the output of any node",
                                    stored_name, node->input[i]);
            inputs[n_inputs++] = t;
        }
        for (size_t k = 0; k < node->n_output; k++)
            if (nonempty(node->output[k]))
                outputs[n_outputs++] = map_get(tensors, node->output[k]);
        for (size_t a = 0; a < node->n_attribute; a++) {
            const Onnx__AttributeProto *attr = node->attribute[a];
            if (attr == NULL || !nonempty(attr->name))
                continue;
            cosma_buf_t *text = &texts[n_attrs];
            text->length = 0;
            cosma_buf_puts(text, "");
            if (attr_text(attr, text) != 0)
                continue;
            if (text->length > MAX_ATTR_TEXT) {
                text->length = MAX_ATTR_TEXT - 3;
                while (text->length > 0 && ((unsigned char)text->data[text->length] & 0xC0) == 0x80)
                    text->length--; /* not inside a character */
                text->data[text->length] = '\0';
                cosma_buf_puts(text, "...");
            }
            if (text->failed) {
                status = COSMA_ERR_NOMEM;
                break;
            }
            attrs[n_attrs].key = attr->name;
            attrs[n_attrs].value = text->data;
            n_attrs++;
        }
        if (status != COSMA_OK)
            break;
        /* Skip operators whose tensors failed (already reported) so that
         * every problem in the file is listed before giving up. */
        int missing = 0;
        for (int32_t i = 0; i < n_inputs; i++)
            missing |= inputs[i] < 0 && nonempty(node->input[i]);
        for (int32_t k = 0; k < n_outputs; k++)
            missing |= outputs[k] < 0;
        if (missing || reader->n_errors > 0)
            continue;
        type.length = 0;
        if (node->domain != NULL && node->domain[0] != '\0' && strcmp(node->domain, "ai.onnx") != 0)
            cosma_buf_printf(&type, "%s.%s", node->domain, node->op_type);
        else
            cosma_buf_puts(&type, node->op_type);
        if (type.failed) {
            status = COSMA_ERR_NOMEM;
            break;
        }
        status = cosma_graph_add_op(reader->graph, stored_name, type.data, inputs, n_inputs, outputs, n_outputs,
                                    attrs, n_attrs, reader->loc, NULL);
    }
    if (status == COSMA_OK && bad_nodes > 0) {
        if (bad_nodes > MAX_SHAPE_ERRORS)
            cosma_diag_report(reader->diag, COSMA_SEV_NOTE, "%s: %d more node errors not shown", reader->path,
                              bad_nodes - MAX_SHAPE_ERRORS);
        status = COSMA_ERR_INPUT;
    }
done:
    if (texts != NULL)
        for (size_t a = 0; a <= max_attrs; a++)
            cosma_buf_free(&texts[a]);
    free(texts);
    free(inputs);
    free(outputs);
    free(attrs);
    cosma_buf_free(&name);
    cosma_buf_free(&type);
    map_free(&used);
    map_free(&next_suffix);
    return status;
}

/* The graph is named after the file: "models/resnet50.onnx" -> "resnet50". */
static cosma_status_t base_name(const char *path, cosma_buf_t *out_name)
{
    const char *start = strrchr(path, '/');
    start = start != NULL ? start + 1 : path;
    const char *dot = strrchr(start, '.');
    size_t length = dot != NULL && dot != start ? (size_t)(dot - start) : strlen(start);
    if (length == 0)
        cosma_buf_puts(out_name, "graph");
    else
        cosma_buf_append(out_name, start, length);
    return out_name->failed ? COSMA_ERR_NOMEM : COSMA_OK;
}

static cosma_status_t build_graph(reader_t *reader, const Onnx__GraphProto *proto)
{
    size_t n_names = proto->n_input + proto->n_output + proto->n_initializer + proto->n_sparse_initializer;
    for (size_t n = 0; n < proto->n_node; n++)
        if (proto->node[n] != NULL)
            n_names += proto->node[n]->n_output;
    /* Where each name's shape is: input first, then output, then
     * value_info; the first mention wins. */
    name_map_t infos, outputs, tensors;
    int failed = map_init(&infos, proto->n_input + proto->n_output + proto->n_value_info);
    failed |= map_init(&outputs, proto->n_output);
    failed |= map_init(&tensors, n_names);
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (failed)
        goto done;
    size_t at = 0;
    for (size_t i = 0; i < proto->n_input; i++, at++)
        if (proto->input[i] != NULL && nonempty(proto->input[i]->name))
            map_put(&infos, proto->input[i]->name, (int32_t)at);
    for (size_t i = 0; i < proto->n_output; i++, at++)
        if (proto->output[i] != NULL && nonempty(proto->output[i]->name)) {
            map_put(&infos, proto->output[i]->name, (int32_t)at);
            map_put(&outputs, proto->output[i]->name, (int32_t)i);
        }
    for (size_t i = 0; i < proto->n_value_info; i++, at++)
        if (proto->value_info[i] != NULL && nonempty(proto->value_info[i]->name))
            map_put(&infos, proto->value_info[i]->name, (int32_t)at);

    status = add_tensors(reader, proto, &infos, &outputs, &tensors);
    if (status == COSMA_OK)
        status = add_operators(reader, proto, &tensors);
    if (reader->n_errors > MAX_SHAPE_ERRORS)
        cosma_diag_report(reader->diag, COSMA_SEV_NOTE, "%s: %d more shape or type errors not shown",
                          reader->path, reader->n_errors - MAX_SHAPE_ERRORS);
    if (status == COSMA_OK && reader->n_errors > 0)
        status = COSMA_ERR_INPUT;
done:
    map_free(&infos);
    map_free(&outputs);
    map_free(&tensors);
    return status;
}

/* ONNX strings are UTF-8 by the standard, but protobuf-c does not check:
 * a name that is not would make invalid YAML and JSON downstream. */
static int utf8_ok(reader_t *reader, const char *text, const char *what, size_t index)
{
    if (text == NULL)
        return 1;
    size_t length = strlen(text), bad = cosma_utf8_invalid_at(text, length);
    if (bad == length)
        return 1;
    cosma_diag_error_at(reader->diag, reader->loc, "%s %zu: its name is not valid UTF-8 (byte %zu)", what, index,
                        bad + 1);
    reader->n_errors++;
    return 0;
}

static void check_names_utf8(reader_t *reader, const Onnx__GraphProto *proto)
{
    for (size_t i = 0; i < proto->n_input; i++)
        utf8_ok(reader, proto->input[i] != NULL ? proto->input[i]->name : NULL, "graph input", i);
    for (size_t i = 0; i < proto->n_output; i++)
        utf8_ok(reader, proto->output[i] != NULL ? proto->output[i]->name : NULL, "graph output", i);
    for (size_t i = 0; i < proto->n_value_info; i++)
        utf8_ok(reader, proto->value_info[i] != NULL ? proto->value_info[i]->name : NULL, "value_info", i);
    for (size_t i = 0; i < proto->n_initializer; i++)
        utf8_ok(reader, proto->initializer[i] != NULL ? proto->initializer[i]->name : NULL, "initializer", i);
    for (size_t n = 0; n < proto->n_node; n++) {
        const Onnx__NodeProto *node = proto->node[n];
        if (node == NULL)
            continue;
        int ok = utf8_ok(reader, node->name, "node", n) && utf8_ok(reader, node->op_type, "op_type of node", n) &&
                 utf8_ok(reader, node->domain, "domain of node", n);
        for (size_t i = 0; ok && i < node->n_input; i++)
            ok = utf8_ok(reader, node->input[i], "an input of node", n);
        for (size_t i = 0; ok && i < node->n_output; i++)
            ok = utf8_ok(reader, node->output[i], "an output of node", n);
        for (size_t i = 0; ok && i < node->n_attribute; i++)
            ok = utf8_ok(reader, node->attribute[i] != NULL ? node->attribute[i]->name : NULL,
                         "an attribute of node", n);
    }
}

cosma_status_t cosma_frontend_parse_onnx(const void *data, size_t length, const char *display_name,
                                         const cosma_import_options_t *options, cosma_graph_t **out_graph,
                                         cosma_diag_t *diag)
{
    *out_graph = NULL;
    const char *path = display_name != NULL ? display_name : "<onnx>";
    cosma_loc_t loc = {path, 0, 0};
    size_t deep = onnx_too_deep(data, length);
    if (deep > 0) {
        cosma_diag_error_at(diag, loc,
                            "messages nest deeper than %d levels at byte %zu (subgraphs inside subgraphs); "
                            "cosma reads models up to that depth",
                            ONNX_MAX_DEPTH, deep - 1);
        return COSMA_ERR_INPUT;
    }
    pb_alloc_state_t alloc_state = {0};
    ProtobufCAllocator allocator = {pb_alloc, pb_free, &alloc_state};
    Onnx__ModelProto *model = onnx__model_proto__unpack(&allocator, length, (const uint8_t *)data);
    if (model == NULL && alloc_state.failed) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: out of memory while reading the ONNX model", path);
        return COSMA_ERR_NOMEM;
    }
    if (model == NULL) {
        cosma_diag_error_at(diag, loc, "not a valid ONNX model (the protobuf data could not be parsed)");
        return COSMA_ERR_INPUT;
    }
    if (model->graph == NULL) {
        cosma_diag_error_at(diag, loc, "the ONNX model has no graph");
        onnx__model_proto__free_unpacked(model, &allocator);
        return COSMA_ERR_INPUT;
    }
    cosma_buf_t name;
    cosma_buf_init(&name);
    cosma_status_t status = base_name(path, &name);
    cosma_graph_t *graph = status == COSMA_OK ? cosma_graph_create(name.data) : NULL;
    cosma_buf_free(&name);
    if (graph == NULL) {
        onnx__model_proto__free_unpacked(model, &allocator);
        return COSMA_ERR_NOMEM;
    }
    if (options != NULL)
        graph->elem_bytes = options->elem_bytes;
    reader_t reader = {path, options, diag, loc, graph, 0};
    check_names_utf8(&reader, model->graph);
    status = reader.n_errors > 0 ? COSMA_ERR_INPUT : build_graph(&reader, model->graph);
    onnx__model_proto__free_unpacked(model, &allocator);
    if (status == COSMA_OK)
        status = cosma_graph_finalize(graph, diag);
    if (status != COSMA_OK) {
        cosma_graph_destroy(graph);
        return status;
    }
    *out_graph = graph;
    return COSMA_OK;
}

cosma_status_t cosma_frontend_read_onnx(const char *path, const cosma_import_options_t *options,
                                        cosma_graph_t **out_graph, cosma_diag_t *diag)
{
    *out_graph = NULL;
    char *data = NULL;
    size_t length = 0;
    cosma_status_t status = cosma_file_read(path, &data, &length, diag);
    if (status != COSMA_OK)
        return status;
    status = cosma_frontend_parse_onnx(data, length, path, options, out_graph, diag);
    free(data);
    return status;
}
