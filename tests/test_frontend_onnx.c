/* test_frontend_onnx.c: ONNX import.  Small models are built here with
 * protobuf-c and written to a temporary folder (Constant nodes, a shared
 * weight, an omitted optional input, a symbolic dimension, missing shapes,
 * broken files); the fourteen bundled models are checked against facts
 * derived without cosma (see the table below). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cosma/frontend.h>
#include "onnx.pb-c.h"
#include "test_support.h"

/* ---- building ONNX models in memory ------------------------------------ */

/* Every allocation of a test model, freed at once. */
typedef struct {
    void *items[512];
    int n;
} pool_t;

static void *pool_take(pool_t *pool, void *ptr)
{
    ck_assert_ptr_nonnull(ptr);
    ck_assert_int_lt(pool->n, 512);
    pool->items[pool->n++] = ptr;
    return ptr;
}

static void *pool_calloc(pool_t *pool, size_t count, size_t size)
{
    return pool_take(pool, calloc(count > 0 ? count : 1, size));
}

static char *pool_str(pool_t *pool, const char *text)
{
    return pool_take(pool, strdup(text));
}

static void pool_free(pool_t *pool)
{
    for (int i = 0; i < pool->n; i++)
        free(pool->items[i]);
    pool->n = 0;
}

/* Splits "a,,b" into {"a", "", "b"} (empty names are ONNX's omitted
 * optional inputs); "" gives no items. */
static size_t split(pool_t *pool, const char *list, char ***out_items)
{
    size_t count = list[0] == '\0' ? 0 : 1;
    for (const char *p = list; *p != '\0'; p++)
        count += *p == ',';
    char **items = pool_calloc(pool, count, sizeof(char *));
    const char *start = list;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(start, ',');
        size_t length = end != NULL ? (size_t)(end - start) : strlen(start);
        items[i] = pool_take(pool, strndup(start, length));
        start = end != NULL ? end + 1 : start + length;
    }
    *out_items = items;
    return count;
}

/* A value_info of a dense tensor.  dims: comma-separated, a number is a
 * dim_value, "?" an unknown dimension, any other word a dim_param; NULL =
 * no shape at all. */
static Onnx__ValueInfoProto *value_info(pool_t *pool, const char *name, int32_t elem_type, const char *dims)
{
    Onnx__ValueInfoProto *info = pool_calloc(pool, 1, sizeof *info);
    onnx__value_info_proto__init(info);
    info->name = pool_str(pool, name);
    Onnx__TypeProto *type = pool_calloc(pool, 1, sizeof *type);
    onnx__type_proto__init(type);
    Onnx__TypeProto__Tensor *tensor = pool_calloc(pool, 1, sizeof *tensor);
    onnx__type_proto__tensor__init(tensor);
    tensor->has_elem_type = 1;
    tensor->elem_type = elem_type;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    info->type = type;
    if (dims == NULL)
        return info;
    Onnx__TensorShapeProto *shape = pool_calloc(pool, 1, sizeof *shape);
    onnx__tensor_shape_proto__init(shape);
    char **words;
    shape->n_dim = split(pool, dims, &words);
    shape->dim = pool_calloc(pool, shape->n_dim, sizeof *shape->dim);
    for (size_t d = 0; d < shape->n_dim; d++) {
        Onnx__TensorShapeProto__Dimension *dim = pool_calloc(pool, 1, sizeof *dim);
        onnx__tensor_shape_proto__dimension__init(dim);
        if (words[d][0] >= '0' && words[d][0] <= '9') {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = atoll(words[d]);
        } else if (strcmp(words[d], "?") != 0) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = words[d];
        }
        shape->dim[d] = dim;
    }
    tensor->shape = shape;
    return info;
}

/* A TensorProto with dims and type only, as in the bundled models. */
static Onnx__TensorProto *tensor_proto(pool_t *pool, const char *name, int32_t type, const char *dims)
{
    Onnx__TensorProto *tensor = pool_calloc(pool, 1, sizeof *tensor);
    onnx__tensor_proto__init(tensor);
    tensor->name = pool_str(pool, name);
    tensor->has_data_type = 1;
    tensor->data_type = type;
    char **words;
    tensor->n_dims = split(pool, dims, &words);
    tensor->dims = pool_calloc(pool, tensor->n_dims, sizeof(int64_t));
    for (size_t d = 0; d < tensor->n_dims; d++)
        tensor->dims[d] = atoll(words[d]);
    return tensor;
}

static Onnx__NodeProto *node_proto(pool_t *pool, const char *op_type, const char *name, const char *inputs,
                                   const char *outputs)
{
    Onnx__NodeProto *node = pool_calloc(pool, 1, sizeof *node);
    onnx__node_proto__init(node);
    node->op_type = pool_str(pool, op_type);
    node->name = pool_str(pool, name);
    node->n_input = split(pool, inputs, &node->input);
    node->n_output = split(pool, outputs, &node->output);
    node->attribute = pool_calloc(pool, 8, sizeof *node->attribute);
    return node;
}

static Onnx__AttributeProto *node_attr(pool_t *pool, Onnx__NodeProto *node, const char *name,
                                       Onnx__AttributeProto__AttributeType type)
{
    ck_assert_uint_lt(node->n_attribute, 8);
    Onnx__AttributeProto *attr = pool_calloc(pool, 1, sizeof *attr);
    onnx__attribute_proto__init(attr);
    attr->name = pool_str(pool, name);
    attr->has_type = 1;
    attr->type = type;
    node->attribute[node->n_attribute++] = attr;
    return attr;
}

typedef struct {
    pool_t pool;
    Onnx__ModelProto model;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__GraphProto graph;
    Onnx__NodeProto *nodes[16];
    Onnx__TensorProto *inits[16];
    Onnx__ValueInfoProto *inputs[8], *outputs[8], *infos[16];
} model_t;

static void model_init(model_t *m)
{
    memset(m, 0, sizeof *m);
    onnx__model_proto__init(&m->model);
    onnx__operator_set_id_proto__init(&m->opset);
    onnx__graph_proto__init(&m->graph);
    m->model.has_ir_version = 1;
    m->model.ir_version = 8;
    m->opset.domain = "";
    m->opset.has_version = 1;
    m->opset.version = 17;
    m->opsets[0] = &m->opset;
    m->model.n_opset_import = 1;
    m->model.opset_import = m->opsets;
    m->model.graph = &m->graph;
    m->graph.name = "test";
    m->graph.node = m->nodes;
    m->graph.initializer = m->inits;
    m->graph.input = m->inputs;
    m->graph.output = m->outputs;
    m->graph.value_info = m->infos;
}

static Onnx__NodeProto *add_node(model_t *m, const char *op_type, const char *name, const char *inputs,
                                 const char *outputs)
{
    ck_assert_uint_lt(m->graph.n_node, 16);
    return m->nodes[m->graph.n_node++] = node_proto(&m->pool, op_type, name, inputs, outputs);
}

/* ---- temporary files ---------------------------------------------------- */

static char tmp_dir[256];
static char tmp_files[8][320];
static int n_tmp_files;

static void tmp_setup(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/cosma_test_onnx_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    n_tmp_files = 0;
}

static void tmp_teardown(void)
{
    for (int i = 0; i < n_tmp_files; i++)
        unlink(tmp_files[i]);
    rmdir(tmp_dir);
}

static const char *write_bytes(const char *file_name, const void *data, size_t length)
{
    ck_assert_int_lt(n_tmp_files, 8);
    char *path = tmp_files[n_tmp_files++];
    snprintf(path, sizeof tmp_files[0], "%s/%s", tmp_dir, file_name);
    FILE *file = fopen(path, "wb");
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(fwrite(data, 1, length, file), length);
    ck_assert_int_eq(fclose(file), 0);
    return path;
}

/* Packs the model; *out_length gets its size.  The caller frees. */
static uint8_t *pack_model(const model_t *m, size_t *out_length)
{
    size_t length = onnx__model_proto__get_packed_size(&m->model);
    uint8_t *data = malloc(length);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(onnx__model_proto__pack(&m->model, data), length);
    *out_length = length;
    return data;
}

static const char *write_model(const model_t *m, const char *file_name)
{
    size_t length;
    uint8_t *data = pack_model(m, &length);
    const char *path = write_bytes(file_name, data, length);
    free(data);
    return path;
}

/* ---- the small model ------------------------------------------------------
 *
 *   inputs        x: f32 [N, 4]        (N symbolic: needs --dim N=VALUE)
 *   initializers  w: f32 [4, 4]        (read by both MatMuls: a shared weight)
 *                 b: f16 [4]           (read by nobody: still a param)
 *   node 0  Constant "const_k"         -> k  (value: f32 tensor [4])
 *   node 1  MatMul   "mm"    (x, w)    -> h1
 *   node 2  MatMul   "mm"    (h1, w)   -> h2   (duplicate name -> "mm_2")
 *   node 3  Constant ""                -> lo (value_float: f32 scalar)
 *   node 4  Clip     ""  (h2, "", lo)  -> h3   (no name -> "Clip_2"; min omitted)
 *   node 5  Add      "add" (h3, k)     -> y    (graph output; attributes)
 *   value_info    h1, h2, h3: f32 [N, 4]
 *
 * Operators: mm, mm_2, Clip_2, add (Constants are not operators).
 * Tensors in order: x, w, b, k, h1, h2, lo, h3, y.
 * With N = 2, native sizes: x 32, w 64, b 8, k 16, h1 h2 h3 32, lo 4, y 32:
 *   input 32, activations 96, output 32, params 64 + 8 + 16 + 4 = 92.
 *   m_r: every op touches two 32-byte non-params: 64.
 *   m_r_params: mm = x + w + h1 = 128 (mm_2 the same; Clip 68; add 80).
 *   peak: 64 at every step.  peak with params: w is live at steps 1-2
 *   (first to last reader): 128 at step 1; k only at step 4, lo at 3.
 * With --elem-bytes 1: x 8, w 16, b 4, k 4, h 8, lo 1, y 8: input 8,
 *   activations 24, output 8, params 25, m_r 16, m_r_params 32, peak 16,
 *   peak_params 32. */
enum {
    TINY_PLAIN = 0,
    TINY_DROP_H2_INFO = 1,   /* h2 has no value_info at all */
    TINY_H1_NO_SHAPE = 2,    /* h1's value_info has a type but no shape */
    TINY_STRING_B = 4,       /* b is a STRING tensor */
    TINY_GHOST_INPUT = 8,    /* mm_2 reads "ghost", defined nowhere */
    TINY_W_AS_INPUT = 16,    /* w is also listed in graph.input (old exporters) */
    TINY_UNKNOWN_DIM = 32,   /* h3's first dimension is unknown ("?") */
    TINY_PASSTHROUGH = 64    /* graph.output also lists the input x */
};

static void build_tiny(model_t *m, int flags)
{
    model_init(m);
    pool_t *pool = &m->pool;
    m->inputs[m->graph.n_input++] = value_info(pool, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "N,4");
    if (flags & TINY_W_AS_INPUT)
        m->inputs[m->graph.n_input++] = value_info(pool, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "4,4");
    m->inits[m->graph.n_initializer++] = tensor_proto(pool, "w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "4,4");
    m->inits[m->graph.n_initializer++] =
        tensor_proto(pool, "b",
                     (flags & TINY_STRING_B) ? ONNX__TENSOR_PROTO__DATA_TYPE__STRING
                                             : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16,
                     "4");

    Onnx__NodeProto *node = add_node(m, "Constant", "const_k", "", "k");
    node_attr(pool, node, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t =
        tensor_proto(pool, "", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "4");
    add_node(m, "MatMul", "mm", "x,w", "h1");
    add_node(m, "MatMul", "mm", (flags & TINY_GHOST_INPUT) ? "ghost,w" : "h1,w", "h2");
    node = add_node(m, "Constant", "", "", "lo");
    Onnx__AttributeProto *attr = node_attr(pool, node, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    attr->has_f = 1;
    attr->f = 0.5f;
    add_node(m, "Clip", "", "h2,,lo", "h3");
    node = add_node(m, "Add", "add", "h3,k", "y");
    attr = node_attr(pool, node, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    attr->has_f = 1;
    attr->f = 0.25f;
    attr = node_attr(pool, node, "perm", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    attr->n_ints = 2;
    attr->ints = pool_calloc(pool, 2, sizeof(int64_t));
    attr->ints[0] = 1;
    attr->ints[1] = 0;
    attr = node_attr(pool, node, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    attr->has_s = 1;
    attr->s.data = (uint8_t *)pool_str(pool, "fast");
    attr->s.len = 4;
    attr = node_attr(pool, node, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    attr->has_i = 1;
    attr->i = -1;
    node_attr(pool, node, "table", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t =
        tensor_proto(pool, "", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2");

    m->outputs[m->graph.n_output++] = value_info(pool, "y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "N,4");
    if (flags & TINY_PASSTHROUGH)
        m->outputs[m->graph.n_output++] = value_info(pool, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "N,4");
    m->infos[m->graph.n_value_info++] =
        value_info(pool, "h1", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, (flags & TINY_H1_NO_SHAPE) ? NULL : "N,4");
    if (!(flags & TINY_DROP_H2_INFO))
        m->infos[m->graph.n_value_info++] = value_info(pool, "h2", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "N,4");
    m->infos[m->graph.n_value_info++] =
        value_info(pool, "h3", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, (flags & TINY_UNKNOWN_DIM) ? "?,4" : "N,4");
}

/* Imports path with N bound to n (0 = no binding). */
static cosma_status_t import_tiny(const char *path, int64_t n, uint32_t elem_bytes, cosma_graph_t **out_graph,
                                  test_diag_t *recorder)
{
    cosma_dim_binding_t bindings[2] = {{"BATCH", 7}, {"N", n}};
    cosma_import_options_t options = {.dims = bindings, .n_dims = n > 0 ? 2 : 1,
                                      .elem_bytes = elem_bytes};
    test_diag_init(recorder);
    return cosma_frontend_read_onnx(path, &options, out_graph, &recorder->diag);
}

static void assert_tensor(const cosma_graph_t *g, int32_t index, const char *name, cosma_tensor_kind_t kind,
                          cosma_dtype_t dtype, int32_t rank, int64_t dim0, int64_t dim1)
{
    ck_assert_int_lt(index, g->n_tensors);
    const cosma_tensor_t *t = &g->tensors[index];
    ck_assert_str_eq(t->name, name);
    ck_assert_int_eq(t->kind, kind);
    ck_assert_int_eq(t->dtype, dtype);
    ck_assert_int_eq(t->rank, rank);
    if (rank > 0)
        ck_assert_int_eq(t->dims[0], dim0);
    if (rank > 1)
        ck_assert_int_eq(t->dims[1], dim1);
}

static const char *attr_value(const cosma_op_t *op, const char *key)
{
    for (int32_t a = 0; a < op->n_attrs; a++)
        if (strcmp(op->attrs[a].key, key) == 0)
            return op->attrs[a].value;
    return NULL;
}

START_TEST(test_tiny_structure)
{
    model_t m;
    build_tiny(&m, TINY_PLAIN);
    const char *path = write_model(&m, "tiny.onnx");
    pool_free(&m.pool);
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_OK);
    ck_assert_int_eq(recorder.diag.n_errors, 0);
    ck_assert_str_eq(g->name, "tiny");
    ck_assert_int_eq(g->elem_bytes, 0);
    ck_assert(g->finalized);

    ck_assert_int_eq(g->n_tensors, 9);
    assert_tensor(g, 0, "x", COSMA_TENSOR_INPUT, COSMA_DTYPE_F32, 2, 2, 4);
    assert_tensor(g, 1, "w", COSMA_TENSOR_PARAM, COSMA_DTYPE_F32, 2, 4, 4);
    assert_tensor(g, 2, "b", COSMA_TENSOR_PARAM, COSMA_DTYPE_F16, 1, 4, 0);
    assert_tensor(g, 3, "k", COSMA_TENSOR_PARAM, COSMA_DTYPE_F32, 1, 4, 0);
    assert_tensor(g, 4, "h1", COSMA_TENSOR_ACTIVATION, COSMA_DTYPE_F32, 2, 2, 4);
    assert_tensor(g, 5, "h2", COSMA_TENSOR_ACTIVATION, COSMA_DTYPE_F32, 2, 2, 4);
    assert_tensor(g, 6, "lo", COSMA_TENSOR_PARAM, COSMA_DTYPE_F32, 0, 0, 0);
    assert_tensor(g, 7, "h3", COSMA_TENSOR_ACTIVATION, COSMA_DTYPE_F32, 2, 2, 4);
    assert_tensor(g, 8, "y", COSMA_TENSOR_OUTPUT, COSMA_DTYPE_F32, 2, 2, 4);

    ck_assert_int_eq(g->n_ops, 4);
    const char *names[] = {"mm", "mm_2", "Clip_2", "add"};
    const char *types[] = {"MatMul", "MatMul", "Clip", "Add"};
    const int32_t produced[] = {4, 5, 7, 8};
    for (int o = 0; o < 4; o++) {
        ck_assert_str_eq(g->ops[o].name, names[o]);
        ck_assert_str_eq(g->ops[o].type, types[o]);
        ck_assert_int_eq(g->ops[o].n_outputs, 1);
        ck_assert_int_eq(g->ops[o].outputs[0], produced[o]);
    }
    /* The omitted optional input keeps its slot as -1. */
    const cosma_op_t *clip = &g->ops[2];
    ck_assert_int_eq(clip->n_inputs, 3);
    ck_assert_int_eq(clip->inputs[0], 5);
    ck_assert_int_eq(clip->inputs[1], -1);
    ck_assert_int_eq(clip->inputs[2], 6);
    /* The shared weight: one tensor, two readers. */
    ck_assert_int_eq(g->ops[0].inputs[1], 1);
    ck_assert_int_eq(g->ops[1].inputs[1], 1);
    ck_assert_int_eq(g->tensors[1].n_consumers, 2);
    ck_assert_int_eq(g->tensors[1].consumers[0], 0);
    ck_assert_int_eq(g->tensors[1].consumers[1], 1);
    ck_assert_int_eq(g->tensors[1].producer, -1);
    ck_assert_int_eq(g->tensors[2].n_consumers, 0);
    ck_assert_int_eq(g->tensors[3].n_consumers, 1);
    ck_assert_int_eq(g->tensors[3].consumers[0], 3);
    ck_assert_int_eq(g->tensors[8].producer, 3);

    /* Attributes: scalars and lists as text, the tensor one skipped. */
    const cosma_op_t *add = &g->ops[3];
    ck_assert_int_eq(add->n_attrs, 4);
    ck_assert_str_eq(attr_value(add, "alpha"), "0.25");
    ck_assert_str_eq(attr_value(add, "perm"), "[1, 0]");
    ck_assert_str_eq(attr_value(add, "mode"), "fast");
    ck_assert_str_eq(attr_value(add, "axis"), "-1");
    ck_assert_ptr_null(attr_value(add, "table"));
    ck_assert_int_eq(g->ops[0].n_attrs, 0);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(test_tiny_stats)
{
    model_t m;
    build_tiny(&m, TINY_PLAIN);
    const char *path = write_model(&m, "tiny.onnx");
    pool_free(&m.pool);
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    ck_assert_int_eq(import_tiny(path, 2, 1, &g, &recorder), COSMA_OK);
    ck_assert_int_eq(g->elem_bytes, 1); /* --elem-bytes is recorded */
    cosma_graph_stats_t s;
    ck_assert_int_eq(cosma_graph_stats(g, 0, &s, NULL), COSMA_OK);
    ck_assert_int_eq(s.n_ops, 4);
    ck_assert_int_eq(s.n_inputs, 1);
    ck_assert_int_eq(s.n_activations, 3);
    ck_assert_int_eq(s.n_outputs, 1);
    ck_assert_int_eq(s.n_params, 4);
    ck_assert_uint_eq(s.input_bytes, 32);
    ck_assert_uint_eq(s.activation_bytes, 96);
    ck_assert_uint_eq(s.output_bytes, 32);
    ck_assert_uint_eq(s.param_bytes, 92);
    ck_assert_uint_eq(s.m_r, 64);
    ck_assert_uint_eq(s.m_r_params, 128);
    ck_assert_uint_eq(s.peak_default, 64);
    ck_assert_uint_eq(s.peak_default_params, 128);
    ck_assert_int_eq(cosma_graph_stats(g, 1, &s, NULL), COSMA_OK);
    ck_assert_uint_eq(s.input_bytes, 8);
    ck_assert_uint_eq(s.activation_bytes, 24);
    ck_assert_uint_eq(s.output_bytes, 8);
    ck_assert_uint_eq(s.param_bytes, 25);
    ck_assert_uint_eq(s.m_r, 16);
    ck_assert_uint_eq(s.m_r_params, 32);
    ck_assert_uint_eq(s.peak_default, 16);
    ck_assert_uint_eq(s.peak_default_params, 32);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(test_symbolic_dim)
{
    model_t m;
    build_tiny(&m, TINY_PLAIN);
    const char *path = write_model(&m, "sym.onnx");
    pool_free(&m.pool);
    cosma_graph_t *g = (cosma_graph_t *)&m; /* must be reset to NULL */
    test_diag_t recorder;
    ck_assert_int_eq(import_tiny(path, 0, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "tensor 'x': symbolic dimension 'N' at axis 0 has no value"),
                  "%s", recorder.text);
    ck_assert(test_diag_contains(&recorder, "--dim N=VALUE"));
    ck_assert(test_diag_contains(&recorder, "tensor 'y': symbolic dimension 'N'"));
    ck_assert(test_diag_contains(&recorder, path));
    /* Five tensors use N: x, h1, h2, h3, y. */
    ck_assert_int_eq(recorder.diag.n_errors, 5);

    ck_assert_int_eq(import_tiny(path, 3, 0, &g, &recorder), COSMA_OK);
    ck_assert_int_eq(recorder.diag.n_errors, 0);
    assert_tensor(g, 0, "x", COSMA_TENSOR_INPUT, COSMA_DTYPE_F32, 2, 3, 4);
    assert_tensor(g, 8, "y", COSMA_TENSOR_OUTPUT, COSMA_DTYPE_F32, 2, 3, 4);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(test_missing_shapes)
{
    model_t m;
    build_tiny(&m, TINY_DROP_H2_INFO | TINY_H1_NO_SHAPE | TINY_UNKNOWN_DIM);
    const char *path = write_model(&m, "noshape.onnx");
    pool_free(&m.pool);
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "tensor 'h2' has no static shape: it is in none of graph.input"),
                  "%s", recorder.text);
    ck_assert(test_diag_contains(&recorder, "tensor 'h1' has no static shape (its value_info gives no shape)"));
    ck_assert(test_diag_contains(&recorder, "tensor 'h3' has no static shape: dimension 0 is unknown"));
    ck_assert_int_eq(recorder.diag.n_errors, 3);
    /* No knock-on errors about operators reading the rejected tensors. */
    ck_assert(!test_diag_contains(&recorder, "reads"));
}
END_TEST

START_TEST(test_unsupported_type_and_ghost)
{
    model_t m;
    build_tiny(&m, TINY_STRING_B | TINY_GHOST_INPUT);
    const char *path = write_model(&m, "bad.onnx");
    pool_free(&m.pool);
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "tensor 'b' has element type STRING (8), which cosma does not "
                                                "support"),
                  "%s", recorder.text);
    ck_assert(test_diag_contains(&recorder, "operator 'mm_2' reads 'ghost', which is not a graph input"));
    ck_assert_int_eq(recorder.diag.n_errors, 2);
}
END_TEST

/* w listed in graph.input too (older exporters): still a param. */
START_TEST(test_initializer_listed_as_input)
{
    model_t m;
    build_tiny(&m, TINY_W_AS_INPUT | TINY_PASSTHROUGH);
    const char *path = write_model(&m, "oldstyle.onnx");
    pool_free(&m.pool);
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_OK);
    ck_assert_int_eq(recorder.diag.n_errors, 0);
    /* An output that merely passes an input through is kept as the input. */
    ck_assert_msg(test_diag_contains(&recorder, "graph output 'x' is not computed by any operator (it is a graph "
                                                "input); imported as input"),
                  "%s", recorder.text);
    ck_assert_int_eq(g->n_tensors, 9);
    assert_tensor(g, 0, "x", COSMA_TENSOR_INPUT, COSMA_DTYPE_F32, 2, 2, 4);
    assert_tensor(g, 1, "w", COSMA_TENSOR_PARAM, COSMA_DTYPE_F32, 2, 4, 4);
    cosma_graph_destroy(g);
}
END_TEST

/* The other ways to state a constant: value_ints, value_int,
 * sparse_value, and a sparse initializer; a custom-domain operator.
 *   x: f32 [2, 3] input; sp: sparse initializer, dense f32 [5, 6]
 *   Constant -> ci (value_ints, 3 items: i64 [3]); Constant -> cs
 *   (value_int: i64 scalar); Constant -> csp (sparse_value, f16 [2, 2])
 *   com.example.Custom "use" (x, sp, ci, cs, csp) -> y: f32 [2, 3] output
 * Native bytes: x 24, sp 120, ci 24, cs 8, csp 8, y 24: params 160,
 * m_r 48, m_r_params 208. */
START_TEST(test_constant_forms)
{
    model_t m;
    model_init(&m);
    pool_t *pool = &m.pool;
    m.inputs[m.graph.n_input++] = value_info(pool, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2,3");
    Onnx__SparseTensorProto *sparse = pool_calloc(pool, 1, sizeof *sparse);
    onnx__sparse_tensor_proto__init(sparse);
    sparse->values = tensor_proto(pool, "sp", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "4");
    sparse->indices = tensor_proto(pool, "", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, "4");
    sparse->n_dims = 2;
    sparse->dims = pool_calloc(pool, 2, sizeof(int64_t));
    sparse->dims[0] = 5;
    sparse->dims[1] = 6;
    Onnx__SparseTensorProto *sparse_list[1] = {sparse};
    m.graph.n_sparse_initializer = 1;
    m.graph.sparse_initializer = sparse_list;

    Onnx__AttributeProto *attr =
        node_attr(pool, add_node(&m, "Constant", "c_ints", "", "ci"), "value_ints",
                  ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    attr->n_ints = 3;
    attr->ints = pool_calloc(pool, 3, sizeof(int64_t));
    attr = node_attr(pool, add_node(&m, "Constant", "c_int", "", "cs"), "value_int",
                     ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    attr->has_i = 1;
    attr->i = 7;
    Onnx__SparseTensorProto *small = pool_calloc(pool, 1, sizeof *small);
    onnx__sparse_tensor_proto__init(small);
    small->values = tensor_proto(pool, "", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, "1");
    small->n_dims = 2;
    small->dims = pool_calloc(pool, 2, sizeof(int64_t));
    small->dims[0] = small->dims[1] = 2;
    node_attr(pool, add_node(&m, "Constant", "c_sparse", "", "csp"), "sparse_value",
              ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR)
        ->sparse_tensor = small;
    Onnx__NodeProto *use = add_node(&m, "Custom", "use", "x,sp,ci,cs,csp", "y");
    use->domain = pool_str(pool, "com.example");
    m.outputs[m.graph.n_output++] = value_info(pool, "y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "2,3");
    const char *path = write_model(&m, "constants.onnx");
    pool_free(&m.pool);

    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    ck_assert_msg(import_tiny(path, 0, 0, &g, &recorder) == COSMA_OK, "%s", recorder.text);
    ck_assert_int_eq(g->n_tensors, 6);
    assert_tensor(g, 0, "x", COSMA_TENSOR_INPUT, COSMA_DTYPE_F32, 2, 2, 3);
    assert_tensor(g, 1, "sp", COSMA_TENSOR_PARAM, COSMA_DTYPE_F32, 2, 5, 6);
    assert_tensor(g, 2, "ci", COSMA_TENSOR_PARAM, COSMA_DTYPE_I64, 1, 3, 0);
    assert_tensor(g, 3, "cs", COSMA_TENSOR_PARAM, COSMA_DTYPE_I64, 0, 0, 0);
    assert_tensor(g, 4, "csp", COSMA_TENSOR_PARAM, COSMA_DTYPE_F16, 2, 2, 2);
    assert_tensor(g, 5, "y", COSMA_TENSOR_OUTPUT, COSMA_DTYPE_F32, 2, 2, 3);
    ck_assert_int_eq(g->n_ops, 1);
    ck_assert_str_eq(g->ops[0].name, "use");
    ck_assert_str_eq(g->ops[0].type, "com.example.Custom");
    ck_assert_int_eq(g->ops[0].n_inputs, 5);
    for (int32_t i = 0; i < 5; i++)
        ck_assert_int_eq(g->ops[0].inputs[i], i);
    cosma_graph_stats_t s;
    ck_assert_int_eq(cosma_graph_stats(g, 0, &s, NULL), COSMA_OK);
    ck_assert_uint_eq(s.param_bytes, 160);
    ck_assert_uint_eq(s.m_r, 48);
    ck_assert_uint_eq(s.m_r_params, 208);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(test_broken_files)
{
    cosma_graph_t *g = NULL;
    test_diag_t recorder;

    /* A valid model cut in half. */
    model_t m;
    build_tiny(&m, TINY_PLAIN);
    size_t length;
    uint8_t *data = pack_model(&m, &length);
    pool_free(&m.pool);
    const char *path = write_bytes("truncated.onnx", data, length / 2);
    free(data);
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "truncated.onnx: not a valid ONNX model"), "%s", recorder.text);

    /* Bytes that are no protobuf at all (a fixed pseudo-random sequence). */
    uint8_t garbage[4096];
    uint32_t state = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        state = state * 1103515245u + 12345u;
        garbage[i] = (uint8_t)(state >> 16);
    }
    path = write_bytes("garbage.onnx", garbage, sizeof garbage);
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "garbage.onnx: not a valid ONNX model"), "%s", recorder.text);

    /* An empty file parses as an empty ModelProto: no graph. */
    path = write_bytes("empty.onnx", "", 0);
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "empty.onnx: the ONNX model has no graph"), "%s", recorder.text);

    /* A graph without nodes is rejected by finalize. */
    model_init(&m);
    path = write_model(&m, "nodes0.onnx");
    ck_assert_int_eq(import_tiny(path, 2, 0, &g, &recorder), COSMA_ERR_INPUT);
    ck_assert_ptr_null(g);
    ck_assert_msg(test_diag_contains(&recorder, "graph 'nodes0' has no operators"), "%s", recorder.text);

    ck_assert_int_eq(import_tiny("/nonexistent/model.onnx", 2, 0, &g, &recorder), COSMA_ERR_IO);
    ck_assert_ptr_null(g);
    ck_assert(test_diag_contains(&recorder, "/nonexistent/model.onnx"));
}
END_TEST

/* ---- the bundled models --------------------------------------------------
 *
 * Expected facts derived WITHOUT cosma's code: protoc decodes each model to
 * text (protoc --decode=onnx.ModelProto -I/usr/include/onnx
 * /usr/include/onnx/onnx.proto < MODEL.onnx), and tests/tools/onnx_sizes.py
 * parses that dump and applies docs/design.md's rules (its header states
 * them: Constant outputs and initializers are params, inputs are graph
 * inputs that are not initializers, m_r over distinct non-param operands,
 * peak over the file order with inputs and params live from their first
 * reader).  The rows below are its output:
 *     python3 tests/tools/onnx_sizes.py --c /work/shared/models/NAME.onnx ...
 * Hand spot checks on resnet50 (elem-bytes 1): input 1x3x224x224 = 150,528;
 * output 1x1000; 122 operators = 53 Conv + 49 Relu + 16 Add + MaxPool +
 * ReduceMean + Reshape + Gemm (BatchNorm folded into Conv); params
 * 25,503,912 floats (torchvision's 25,557,032 less the 53,120 BatchNorm
 * scales and shifts folded away) + two 2-element int64 shape constants =
 * 25,503,916; m_r = 3 x 256x56x56 = 2,408,448 (a residual Add reads two
 * 802,816-byte tensors and writes a third).
 *
 * The checks read graphs/NAME.yaml (made by `cosma import`, native element
 * types) and, where the models are present, the .onnx files themselves. */
typedef struct {
    const char *name;
    uint32_t elem_bytes; /* 0 = native element sizes */
    int32_t n_ops, n_inputs, n_activations, n_outputs, n_params;
    uint64_t input_bytes, activation_bytes, output_bytes, param_bytes;
    uint64_t m_r, m_r_params, peak, peak_params;
} expected_t;

static const expected_t expected[] = {
    {"amoebanet_d", 1, 529, 1, 528, 1, 214, 150528, 78630336, 1000, 84419758, 3211264, 4445184, 4816896, 4820992},
    {"amoebanet_d", 0, 529, 1, 528, 1, 214, 602112, 314521344, 4000, 337679056, 12845056, 17780736, 19267584,
     19283968},
    {"darts_v2_imagenet", 1, 497, 1, 496, 1, 311, 150528, 13970352, 1000, 4683094, 602112, 770768, 602112, 770768},
    {"darts_v2_imagenet", 0, 497, 1, 496, 1, 311, 602112, 55881408, 4000, 18732400, 2408448, 3083072, 2408448,
     3083072},
    {"deeplabv3_resnet50", 1, 138, 1, 137, 1, 65, 150528, 64244304, 1053696, 39582175, 4816896, 6524928, 4816896,
     7127040},
    {"deeplabv3_resnet50", 0, 138, 1, 137, 1, 65, 602112, 256977216, 4214784, 158328740, 19267584, 26099712,
     19267584, 28508160},
    {"densenet121", 1, 368, 1, 367, 1, 185, 150528, 43667712, 1000, 7927940, 1605632, 1606144, 2107392, 2108800},
    {"densenet121", 0, 368, 1, 367, 1, 185, 602112, 174670848, 4000, 31711776, 6422528, 6424576, 8429568, 8435200},
    {"fcn_resnet50", 1, 123, 1, 122, 1, 57, 150528, 61431888, 1053696, 32902873, 4816896, 11444224, 4816896,
     11444224},
    {"fcn_resnet50", 0, 123, 1, 122, 1, 57, 602112, 245727552, 4214784, 131611508, 19267584, 45776896, 19267584,
     45776896},
    {"lraspp_mobilenet_v3_large", 1, 146, 1, 145, 1, 71, 150528, 11592760, 1053696, 3191812, 1605632, 1605632,
     1605632, 1605632},
    {"lraspp_mobilenet_v3_large", 0, 146, 1, 145, 1, 71, 602112, 46371040, 4214784, 12767288, 6422528, 6422528,
     6422528, 6422528},
    {"nasnetalarge", 1, 879, 1, 878, 1, 505, 150528, 93207696, 1000, 88559032, 2365632, 4038032, 3287616,
     4038032},
    {"nasnetalarge", 0, 879, 1, 878, 1, 505, 602112, 372830784, 4000, 354236240, 9462528, 16152128, 13150464,
     16152128},
    {"pnasnet5large", 1, 656, 1, 655, 1, 390, 150528, 91326042, 1000, 85883950, 2408640, 4326320, 4426134,
     4426143},
    {"pnasnet5large", 0, 656, 1, 655, 1, 390, 602112, 365304168, 4000, 343535912, 9634560, 17305280, 17704536,
     17704604},
    {"r2plus1d_18", 1, 82, 1, 81, 1, 40, 2408448, 533154736, 400, 31479580, 57802752, 57802752, 70647808,
     70647808},
    {"r2plus1d_18", 0, 82, 1, 81, 1, 40, 9633792, 2132618944, 1600, 125918340, 231211008, 231211008, 282591232,
     282591232},
    {"resnet50", 1, 122, 1, 121, 1, 57, 150528, 26446848, 1000, 25503916, 2408448, 2484736, 2408448, 2685440},
    {"resnet50", 0, 122, 1, 121, 1, 57, 602112, 105787392, 4000, 102015680, 9633792, 9938944, 9633792, 10741760},
    {"resnext50_32x4d", 1, 122, 1, 121, 1, 57, 150528, 33019904, 1000, 24960684, 2408448, 2408448, 2408448,
     2498560},
    {"resnext50_32x4d", 0, 122, 1, 121, 1, 57, 602112, 132079616, 4000, 99842752, 9633792, 9633792, 9633792,
     9994240},
    {"s3d", 1, 179, 1, 178, 1, 80, 2408448, 103574096, 400, 8298835, 25690112, 25690112, 25690112, 25690112},
    {"s3d", 0, 179, 1, 178, 1, 80, 9633792, 414296384, 1600, 33195352, 102760448, 102760448, 102760448,
     102760448},
    {"transformer", 1, 693, 2, 704, 1, 108, 131072, 74458112, 65536, 44094496, 1048576, 1572866, 1246720,
     1771040},
    {"transformer", 0, 693, 2, 704, 1, 108, 524288, 297832448, 262144, 176378108, 4194304, 6291472, 4986880,
     7084284},
    {"vit_b_16", 1, 524, 1, 523, 1, 106, 150528, 146434080, 1000, 86519840, 1815552, 3115776, 1966848, 3268637},
    {"vit_b_16", 0, 524, 1, 523, 1, 106, 602112, 585736320, 4000, 346079472, 7262208, 12463104, 7867392,
     13074648},
};
enum { N_EXPECTED = sizeof expected / sizeof expected[0], N_MODELS = N_EXPECTED / 2 };

static void check_expected(const cosma_graph_t *g, const expected_t *e, const char *source)
{
    cosma_graph_stats_t s;
    ck_assert_int_eq(cosma_graph_stats(g, e->elem_bytes, &s, NULL), COSMA_OK);
    ck_assert_msg(s.n_ops == e->n_ops && s.n_inputs == e->n_inputs && s.n_activations == e->n_activations &&
                      s.n_outputs == e->n_outputs && s.n_params == e->n_params,
                  "%s (elem-bytes %u): counts %d ops, %d/%d/%d/%d tensors", source, e->elem_bytes, s.n_ops,
                  s.n_inputs, s.n_activations, s.n_outputs, s.n_params);
    ck_assert_int_eq(s.n_tensors, e->n_inputs + e->n_activations + e->n_outputs + e->n_params);
    ck_assert_uint_eq(s.input_bytes, e->input_bytes);
    ck_assert_uint_eq(s.activation_bytes, e->activation_bytes);
    ck_assert_uint_eq(s.output_bytes, e->output_bytes);
    ck_assert_uint_eq(s.param_bytes, e->param_bytes);
    ck_assert_uint_eq(s.m_r, e->m_r);
    ck_assert_uint_eq(s.m_r_params, e->m_r_params);
    ck_assert_uint_eq(s.peak_default, e->peak);
    ck_assert_uint_eq(s.peak_default_params, e->peak_params);
}

/* The imported YAML graphs: these always exist in the tree. */
START_TEST(test_bundled_yaml)
{
    const expected_t *rows = &expected[2 * _i];
    char relative[256];
    snprintf(relative, sizeof relative, "graphs/%s.yaml", rows[0].name);
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    test_diag_init(&recorder);
    ck_assert_msg(cosma_frontend_read_yaml(test_source_path(relative), &g, &recorder.diag) == COSMA_OK, "%s: %s",
                  relative, recorder.text);
    ck_assert_str_eq(g->name, rows[0].name);
    ck_assert_int_eq(g->elem_bytes, 0); /* imported with native element types */
    check_expected(g, &rows[0], relative);
    check_expected(g, &rows[1], relative);
    cosma_graph_destroy(g);
}
END_TEST

/* The .onnx files, when present (COSMA_MODELS_DIR, else ../shared/models
 * next to the source tree). */
START_TEST(test_bundled_onnx)
{
    const expected_t *rows = &expected[2 * _i];
    const char *dir = getenv("COSMA_MODELS_DIR");
    char path[1024];
    if (dir != NULL)
        snprintf(path, sizeof path, "%s/%s.onnx", dir, rows[0].name);
    else
        snprintf(path, sizeof path, "%s/../shared/models/%s.onnx", COSMA_SOURCE_DIR, rows[0].name);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "test_frontend_onnx: %s not found; ONNX-side check skipped\n", path);
        return;
    }
    cosma_graph_t *g = NULL;
    test_diag_t recorder;
    test_diag_init(&recorder);
    ck_assert_msg(cosma_frontend_read_onnx(path, NULL, &g, &recorder.diag) == COSMA_OK, "%s: %s", path,
                  recorder.text);
    ck_assert_int_eq(recorder.diag.n_errors, 0);
    ck_assert_str_eq(g->name, rows[0].name);
    check_expected(g, &rows[0], path);
    check_expected(g, &rows[1], path);
    cosma_graph_destroy(g);
}
END_TEST

static Suite *onnx_suite(void)
{
    Suite *suite = suite_create("frontend_onnx");
    TCase *small = tcase_create("small");
    tcase_add_checked_fixture(small, tmp_setup, tmp_teardown);
    tcase_add_test(small, test_tiny_structure);
    tcase_add_test(small, test_tiny_stats);
    tcase_add_test(small, test_symbolic_dim);
    tcase_add_test(small, test_missing_shapes);
    tcase_add_test(small, test_unsupported_type_and_ghost);
    tcase_add_test(small, test_initializer_listed_as_input);
    tcase_add_test(small, test_constant_forms);
    tcase_add_test(small, test_broken_files);
    suite_add_tcase(suite, small);
    TCase *bundled = tcase_create("bundled");
    tcase_set_timeout(bundled, 60);
    tcase_add_loop_test(bundled, test_bundled_yaml, 0, N_MODELS);
    tcase_add_loop_test(bundled, test_bundled_onnx, 0, N_MODELS);
    suite_add_tcase(suite, bundled);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(onnx_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
