/* test_frontend_yaml.c: the YAML graph format: reading (with exact error
 * locations for malformed files), writing, and read(write(g)) == g for the
 * examples and every bundled graph under graphs/. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cosma/frontend.h>
#include "test_support.h"

/* ---- helpers --------------------------------------------------------- */

/* Compares two graphs field by field; on a difference writes what differs
 * to why and returns 0. */
static int graphs_equal(const cosma_graph_t *a, const cosma_graph_t *b, char *why, size_t size)
{
#define DIFFER(...) return snprintf(why, size, __VA_ARGS__), 0
    if (strcmp(a->name, b->name) != 0)
        DIFFER("graph name '%s' vs '%s'", a->name, b->name);
    if (a->elem_bytes != b->elem_bytes)
        DIFFER("elem_bytes %u vs %u", (unsigned)a->elem_bytes, (unsigned)b->elem_bytes);
    if (a->n_tensors != b->n_tensors)
        DIFFER("tensor count %d vs %d", (int)a->n_tensors, (int)b->n_tensors);
    if (a->n_ops != b->n_ops)
        DIFFER("operator count %d vs %d", (int)a->n_ops, (int)b->n_ops);
    for (int32_t t = 0; t < a->n_tensors; t++) {
        const cosma_tensor_t *x = &a->tensors[t], *y = &b->tensors[t];
        if (strcmp(x->name, y->name) != 0)
            DIFFER("tensor %d name '%s' vs '%s'", (int)t, x->name, y->name);
        if (x->kind != y->kind || x->dtype != y->dtype || x->rank != y->rank)
            DIFFER("tensor '%s': kind/dtype/rank %d/%d/%d vs %d/%d/%d", x->name, x->kind, x->dtype, (int)x->rank,
                   y->kind, y->dtype, (int)y->rank);
        for (int32_t d = 0; d < x->rank; d++)
            if (x->dims[d] != y->dims[d])
                DIFFER("tensor '%s' axis %d: %lld vs %lld", x->name, (int)d, (long long)x->dims[d],
                       (long long)y->dims[d]);
        if (x->dtype == COSMA_DTYPE_RAW && x->raw_bytes != y->raw_bytes)
            DIFFER("tensor '%s' bytes %llu vs %llu", x->name, (unsigned long long)x->raw_bytes,
                   (unsigned long long)y->raw_bytes);
    }
    for (int32_t o = 0; o < a->n_ops; o++) {
        const cosma_op_t *x = &a->ops[o], *y = &b->ops[o];
        if (strcmp(x->name, y->name) != 0 || strcmp(x->type, y->type) != 0)
            DIFFER("operator %d: '%s' (%s) vs '%s' (%s)", (int)o, x->name, x->type, y->name, y->type);
        if (x->n_inputs != y->n_inputs || x->n_outputs != y->n_outputs || x->n_attrs != y->n_attrs)
            DIFFER("operator '%s': inputs/outputs/attrs %d/%d/%d vs %d/%d/%d", x->name, (int)x->n_inputs,
                   (int)x->n_outputs, (int)x->n_attrs, (int)y->n_inputs, (int)y->n_outputs, (int)y->n_attrs);
        for (int32_t i = 0; i < x->n_inputs; i++)
            if (x->inputs[i] != y->inputs[i])
                DIFFER("operator '%s' input %d: %d vs %d", x->name, (int)i, (int)x->inputs[i], (int)y->inputs[i]);
        for (int32_t i = 0; i < x->n_outputs; i++)
            if (x->outputs[i] != y->outputs[i])
                DIFFER("operator '%s' output %d: %d vs %d", x->name, (int)i, (int)x->outputs[i],
                       (int)y->outputs[i]);
        for (int32_t i = 0; i < x->n_attrs; i++)
            if (strcmp(x->attrs[i].key, y->attrs[i].key) != 0 || strcmp(x->attrs[i].value, y->attrs[i].value) != 0)
                DIFFER("operator '%s' attr %d: %s=%s vs %s=%s", x->name, (int)i, x->attrs[i].key, x->attrs[i].value,
                       y->attrs[i].key, y->attrs[i].value);
    }
    if (cosma_graph_hash(a) != cosma_graph_hash(b))
        DIFFER("hashes differ");
#undef DIFFER
    return 1;
}

static cosma_graph_t *parse_ok(const char *text, const char *name)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cosma_frontend_parse_yaml(text, strlen(text), name, &graph, &diag.diag);
    ck_assert_msg(status == COSMA_OK, "%s: %s\n%s", name, cosma_status_name(status), diag.text);
    ck_assert_ptr_nonnull(graph);
    return graph;
}

/* Parses text that must fail with exactly "name:line:column: message..."
 * where fragment is the start of the message. */
static void parse_fails(const char *text, size_t length, int line, int column, const char *fragment)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = (cosma_graph_t *)&diag; /* must be reset to NULL */
    cosma_status_t status = cosma_frontend_parse_yaml(text, length, "<mem>", &graph, &diag.diag);
    ck_assert_int_eq(status, COSMA_ERR_INPUT);
    ck_assert_ptr_null(graph);
    char expected[512];
    snprintf(expected, sizeof expected, "<mem>:%d:%d: %s", line, column, fragment);
    ck_assert_msg(test_diag_contains(&diag, expected), "expected '%s' in:\n%s", expected, diag.text);
}

/* Emits, parses back, compares, and checks that emitting again gives the
 * same bytes.  Returns the first emitted text (caller frees). */
static char *check_round_trip(const cosma_graph_t *graph, const char *what)
{
    cosma_buf_t first, second;
    cosma_buf_init(&first);
    cosma_buf_init(&second);
    ck_assert_int_eq(cosma_frontend_emit_yaml(graph, &first), COSMA_OK);
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *back = NULL;
    cosma_status_t status = cosma_frontend_parse_yaml(first.data, first.length, what, &back, &diag.diag);
    ck_assert_msg(status == COSMA_OK, "%s: re-reading the emitted YAML failed:\n%s", what, diag.text);
    char why[512];
    ck_assert_msg(graphs_equal(graph, back, why, sizeof why), "%s: %s", what, why);
    ck_assert_int_eq(cosma_frontend_emit_yaml(back, &second), COSMA_OK);
    ck_assert_msg(first.length == second.length && memcmp(first.data, second.data, first.length) == 0,
                  "%s: emitting twice differs", what);
    cosma_graph_destroy(back);
    cosma_buf_free(&second);
    return first.data;
}

/* ---- reading --------------------------------------------------------- */

START_TEST(test_tiny_example)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s", test_source_path("tests/data/tiny.yaml"));
    ck_assert_int_eq(cosma_frontend_read_yaml(path, &graph, &diag.diag), COSMA_OK);
    ck_assert_str_eq(diag.text, "");
    ck_assert_str_eq(graph->name, "tiny");
    ck_assert_uint_eq(graph->elem_bytes, 1);
    ck_assert_int_eq(graph->n_tensors, 6);
    ck_assert_int_eq(graph->n_ops, 3);

    static const char *const names[] = {"x", "w", "conv/out:0", "scale", "blob", "out"};
    static const cosma_tensor_kind_t kinds[] = {COSMA_TENSOR_INPUT, COSMA_TENSOR_PARAM, COSMA_TENSOR_ACTIVATION,
                                                COSMA_TENSOR_PARAM, COSMA_TENSOR_ACTIVATION, COSMA_TENSOR_OUTPUT};
    static const cosma_dtype_t dtypes[] = {COSMA_DTYPE_F32, COSMA_DTYPE_F32, COSMA_DTYPE_F16,
                                           COSMA_DTYPE_F32, COSMA_DTYPE_RAW, COSMA_DTYPE_I8};
    static const int32_t ranks[] = {4, 4, 4, 0, -1, 2};
    /* native sizes: 1*3*8*8*4, 4*3*3*3*4, 1*4*6*6*2, 4, raw 4096, 1*4*1 */
    static const uint64_t bytes[] = {768, 432, 288, 4, 4096, 4};
    for (int32_t t = 0; t < 6; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        ck_assert_str_eq(tensor->name, names[t]);
        ck_assert_int_eq(tensor->kind, kinds[t]);
        ck_assert_int_eq(tensor->dtype, dtypes[t]);
        ck_assert_int_eq(tensor->rank, ranks[t]);
        uint64_t size = 0;
        ck_assert_int_eq(cosma_tensor_bytes(tensor, 0, &size), 0);
        ck_assert_uint_eq(size, bytes[t]);
    }
    ck_assert_int_eq(graph->tensors[0].dims[1], 3);
    ck_assert_int_eq(graph->tensors[2].dims[3], 6);
    ck_assert_uint_eq(graph->tensors[4].raw_bytes, 4096);

    const cosma_op_t *conv = &graph->ops[0];
    ck_assert_str_eq(conv->name, "conv1");
    ck_assert_str_eq(conv->type, "Conv");
    ck_assert_int_eq(conv->n_inputs, 3);
    ck_assert_int_eq(conv->inputs[0], 0);
    ck_assert_int_eq(conv->inputs[1], 1);
    ck_assert_int_eq(conv->inputs[2], -1); /* "" = empty optional input */
    ck_assert_int_eq(conv->n_outputs, 1);
    ck_assert_int_eq(conv->outputs[0], 2);
    ck_assert_int_eq(conv->n_attrs, 2);
    ck_assert_str_eq(conv->attrs[0].key, "kernel_shape");
    ck_assert_str_eq(conv->attrs[0].value, "[3,3]");
    ck_assert_str_eq(conv->attrs[1].key, "group");
    ck_assert_str_eq(conv->attrs[1].value, "1");
    const cosma_op_t *pack = &graph->ops[1];
    ck_assert_str_eq(pack->type, "Custom");
    ck_assert_int_eq(pack->n_inputs, 2);
    ck_assert_int_eq(pack->inputs[0], 2);
    ck_assert_int_eq(pack->inputs[1], 3);
    ck_assert_int_eq(pack->outputs[0], 4);
    ck_assert_int_eq(pack->n_attrs, 0);
    const cosma_op_t *head = &graph->ops[2];
    ck_assert_int_eq(head->inputs[1], 1);
    ck_assert_int_eq(head->outputs[0], 5);
    ck_assert_int_eq(head->n_attrs, 0); /* attrs: {} */

    /* derived by finalize: w is read by conv1 and head */
    ck_assert_int_eq(graph->tensors[1].n_consumers, 2);
    ck_assert_int_eq(graph->tensors[1].consumers[0], 0);
    ck_assert_int_eq(graph->tensors[1].consumers[1], 2);
    ck_assert_int_eq(graph->tensors[5].producer, 2);

    /* locations: the item's mapping ('{' of a flow item, first key of a
     * block item); the file name is the graph's own copy */
    ck_assert_int_eq(graph->tensors[0].loc.line, 6);
    ck_assert_int_eq(graph->tensors[0].loc.column, 5);
    ck_assert_int_eq(graph->tensors[5].loc.line, 11);
    ck_assert_int_eq(graph->tensors[5].loc.column, 5);
    ck_assert_int_eq(graph->ops[1].loc.line, 17);
    ck_assert_int_eq(graph->ops[1].loc.column, 5);
    ck_assert_int_eq(graph->ops[2].loc.line, 21);
    ck_assert_str_eq(graph->ops[2].loc.file, path);
    ck_assert_ptr_ne(graph->ops[2].loc.file, path);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_bundled_example)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_read_yaml(test_source_path("graphs/example.yaml"), &graph, &diag.diag),
                     COSMA_OK);
    ck_assert_str_eq(graph->name, "example");
    ck_assert_uint_eq(graph->elem_bytes, 0);
    cosma_graph_stats_t stats;
    ck_assert_int_eq(cosma_graph_stats(graph, 0, &stats, &diag.diag), COSMA_OK);
    ck_assert_int_eq(stats.n_ops, 12);
    ck_assert_int_eq(stats.n_tensors, 20);
    ck_assert_int_eq(stats.n_inputs, 1);
    ck_assert_int_eq(stats.n_params, 7);
    ck_assert_int_eq(stats.n_activations, 11);
    ck_assert_int_eq(stats.n_outputs, 1);
    ck_assert_uint_eq(stats.input_bytes, 3 * 32 * 32 * 4);
    /* 7 maps of 16x32x32 + pool 16x16x16 + gap 16 + flat 16 + logits 10, x4 bytes */
    ck_assert_uint_eq(stats.activation_bytes, (7 * 16384 + 4096 + 16 + 16 + 10) * 4);
    /* the shared weight is read by both convolutions of the block */
    int32_t shared = cosma_graph_find_tensor(graph, "block.weight");
    ck_assert_int_eq(graph->tensors[shared].n_consumers, 2);
    ck_assert_int_eq(graph->tensors[shared].consumers[0], cosma_graph_find_op(graph, "block_conv_a"));
    ck_assert_int_eq(graph->tensors[shared].consumers[1], cosma_graph_find_op(graph, "block_conv_b"));
    /* the skip connection keeps stem.relu alive until the add */
    int32_t skip = cosma_graph_find_tensor(graph, "stem.relu");
    ck_assert_int_eq(graph->tensors[skip].n_consumers, 2);
    ck_assert_int_eq(graph->tensors[skip].consumers[1], cosma_graph_find_op(graph, "block_add"));
    cosma_graph_destroy(graph);
}
END_TEST

/* The first YAML block of docs/graph-format.md is a complete graph. */
START_TEST(test_documented_example)
{
    test_diag_t diag;
    test_diag_init(&diag);
    char *doc = NULL;
    size_t length = 0;
    ck_assert_int_eq(cosma_file_read(test_source_path("docs/graph-format.md"), &doc, &length, &diag.diag), COSMA_OK);
    char *start = strstr(doc, "```yaml\n");
    ck_assert_ptr_nonnull(start);
    start += strlen("```yaml\n");
    char *end = strstr(start, "```");
    ck_assert_ptr_nonnull(end);
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cosma_frontend_parse_yaml(start, (size_t)(end - start), "graph-format.md", &graph,
                                                      &diag.diag);
    ck_assert_msg(status == COSMA_OK, "%s", diag.text);
    ck_assert_int_eq(graph->n_tensors, 7);
    ck_assert_int_eq(graph->n_ops, 3);
    ck_assert_uint_eq(graph->elem_bytes, 1);
    ck_assert_int_eq(graph->ops[1].inputs[2], -1);
    ck_assert_int_eq(graph->ops[1].n_outputs, 2);
    ck_assert_str_eq(graph->tensors[5].name, "scratch/0");
    ck_assert_uint_eq(graph->tensors[5].raw_bytes, 4096);
    cosma_graph_destroy(graph);
    free(doc);
}
END_TEST

/* Each malformed file, the location of the fault and the start of the
 * message.  Locations are 1-based line:column of the offending node. */
static const struct {
    const char *file;
    int line, column;
    const char *message;
} bad_files[] = {
    {"duplicate_key", 4, 28, "duplicate key 'kind' in tensor 'x' (first given at line 4)"},
    {"unknown_key", 9, 5, "unknown key 'input' in operator 'op' (allowed keys: name, type, inputs, outputs, attrs)"},
    {"missing_name", 5, 5, "tensor #2 is missing required key 'name'"},
    {"bad_kind", 5, 21, "unknown tensor kind 'weight' in tensor 'w' (allowed: input, activation, output, param)"},
    {"bad_dtype", 4, 35, "unknown dtype 'float32' in tensor 'x' (allowed: f32, f16, bf16, f64, i8, u8, i16, u16, "
                         "i32, u32, i64, u64, bool;"},
    {"negative_dim", 4, 51, "tensor 'x' has a negative dimension (-3) at axis 1"},
    {"zero_dim", 10, 9, "tensor 'y' has a zero dimension at axis 1"},
    {"non_integer_dim", 4, 48, "dimension 0 of tensor 'x' must be an integer, found '2.5'"},
    {"shape_and_bytes", 5, 41, "tensor 'y' has both 'bytes' and 'shape'"},
    {"undeclared_input", 7, 39, "operator 'op' reads tensor 'bias', which is not declared in 'tensors'"},
    {"two_producers", 8, 5, "tensor 'y' has two producers: 'a' and 'b'"},
    {"cycle", 9, 5, "operator 'a' is on a cycle"},
    {"not_topological", 8, 5,
     "default order is not topological: operator 'second' reads 't', which is produced later by 'first'"},
    {"duplicate_tensor", 6, 5, "duplicate tensor name 'x' (first defined at line 4)"},
    {"no_operators", 5, 12, "'operators' is empty: a graph needs at least one operator"},
    {"unclosed_bracket", 4, 49, "YAML syntax error: did not find expected ',' or ']' while parsing a flow "
                                "sequence (from line 4, column 47)"},
    {"bad_indentation", 6, 4, "YAML syntax error: did not find expected '-' indicator"},
    {"wrong_version", 1, 14, "unsupported format version 2 (this reader understands cosma_graph: 1)"},
    {"missing_version", 1, 1, "missing required key 'cosma_graph'"},
    {"scalar_for_list", 7, 36, "'inputs' of operator 'op' must be a list of tensor names, found a scalar"},
    {"writes_input", 8, 5, "operator 'back' writes input 'x', which no operator may produce"},
    {"never_produced", 5, 5, "tensor 't' is read by operator 'op' but never produced"},
    {"empty", 1, 1, "empty document"},
    {"two_documents", 8, 1, "more than one YAML document"},
    {"bytes_overflow", 4, 35, "'bytes' of tensor 'x' is out of range (found 99999999999999999999, largest allowed "
                              "9223372036854775807)"},
    {"attr_list", 12, 21, "attribute 'kernel_shape' of operator 'pool' must be a single value, found a list"},
    {"not_a_mapping", 1, 1, "a graph file must be a mapping"},
    {"invalid_utf8", 4, 16, "the file is not valid UTF-8 text"},
};
#define N_BAD_FILES ((int)(sizeof bad_files / sizeof bad_files[0]))

START_TEST(test_bad_file)
{
    char path[4096], expected[8192];
    snprintf(path, sizeof path, "%s", test_source_path("tests/data/yaml_bad/"));
    strncat(path, bad_files[_i].file, sizeof path - strlen(path) - 16);
    strcat(path, ".yaml");
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_read_yaml(path, &graph, &diag.diag), COSMA_ERR_INPUT);
    ck_assert_ptr_null(graph);
    ck_assert_int_ge(diag.diag.n_errors, 1);
    snprintf(expected, sizeof expected, "%s:%d:%d: %s", path, bad_files[_i].line, bad_files[_i].column,
             bad_files[_i].message);
    ck_assert_msg(test_diag_contains(&diag, expected), "expected\n  %s\ngot\n  %s", expected, diag.text);
}
END_TEST

/* Every file in tests/data/yaml_bad/ has an entry above. */
START_TEST(test_bad_files_all_listed)
{
    DIR *dir = opendir(test_source_path("tests/data/yaml_bad"));
    ck_assert_ptr_nonnull(dir);
    int count = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        int listed = 0;
        for (int i = 0; i < N_BAD_FILES && !listed; i++) {
            size_t n = strlen(bad_files[i].file);
            listed = strncmp(entry->d_name, bad_files[i].file, n) == 0 && strcmp(entry->d_name + n, ".yaml") == 0;
        }
        ck_assert_msg(listed, "tests/data/yaml_bad/%s has no expected error", entry->d_name);
        count++;
    }
    closedir(dir);
    ck_assert_int_eq(count, N_BAD_FILES);
    ck_assert_int_ge(count, 15);
}
END_TEST

#define HEADER "cosma_graph: 1\nname: g\n"
#define X_Y "tensors:\n  - {name: x, kind: input, dtype: f32, shape: [4]}\n" \
            "  - {name: y, kind: output, dtype: f32, shape: [4]}\n"

START_TEST(test_in_memory_errors)
{
    parse_fails("", 0, 1, 1, "empty document");
    /* libyaml places an empty node where its content would have begun */
    parse_fails("---\n", 4, 2, 1, "a graph file must be a mapping with keys cosma_graph, name, tensors and "
                                   "operators; found an empty value");
    /* a quoted number is a string, not an integer */
    const char *quoted = HEADER "tensors:\n  - {name: x, kind: input, dtype: f32, shape: [\"4\"]}\n";
    parse_fails(quoted, strlen(quoted), 4, 48, "dimension 0 of tensor 'x' must be an integer, found the quoted "
                                               "string \"4\"");
    const char *no_size = HEADER "tensors:\n  - {name: x, kind: input}\n";
    parse_fails(no_size, strlen(no_size), 4, 5, "tensor 'x' has no size: give 'dtype' and 'shape', or 'bytes'");
    const char *no_shape = HEADER "tensors:\n  - {name: x, kind: input, dtype: f32}\n";
    parse_fails(no_shape, strlen(no_shape), 4, 28, "tensor 'x' has 'dtype' but no 'shape'");
    const char *raw_dtype = HEADER "tensors:\n  - {name: x, kind: input, dtype: raw, shape: [4]}\n";
    parse_fails(raw_dtype, strlen(raw_dtype), 4, 35, "unknown dtype 'raw' in tensor 'x'");
    const char *zero_bytes = HEADER "tensors:\n  - {name: x, kind: input, bytes: 0}\n";
    parse_fails(zero_bytes, strlen(zero_bytes), 4, 35, "tensor 'x' has zero size");
    const char *empty_name = HEADER "tensors:\n  - {name: \"\", kind: input, bytes: 4}\n";
    parse_fails(empty_name, strlen(empty_name), 4, 12, "the name of tensor #1 must not be empty");
    const char *null_kind = HEADER "tensors:\n  - {name: x, kind: ~, bytes: 4}\n";
    parse_fails(null_kind, strlen(null_kind), 4, 21, "the kind of tensor 'x' must be a string, found an empty value");
    const char *big_elem = "cosma_graph: 1\nname: g\nelem_bytes: 4294967296\n";
    parse_fails(big_elem, strlen(big_elem), 3, 13, "'elem_bytes' is out of range (found 4294967296, largest "
                                                   "allowed 4294967295)");
    const char *bad_version = "cosma_graph: one\n";
    parse_fails(bad_version, strlen(bad_version), 1, 14, "'cosma_graph' (the format version) must be an integer, "
                                                         "found 'one'");
    const char *top_unknown = HEADER "nodes: []\n";
    parse_fails(top_unknown, strlen(top_unknown), 3, 1, "unknown key 'nodes' in the top level (allowed keys: "
                                                        "cosma_graph, name, elem_bytes, tensors, operators)");
    const char *no_tensors = HEADER "operators: []\n";
    parse_fails(no_tensors, strlen(no_tensors), 1, 1, "the top level is missing required key 'tensors'");
    const char *empty_output = HEADER X_Y "operators:\n  - {name: op, type: Relu, inputs: [x], outputs: [\"\"]}\n";
    parse_fails(empty_output, strlen(empty_output), 7, 51, "'outputs' of operator 'op' has an empty entry");
    const char *no_outputs = HEADER X_Y "operators:\n  - {name: op, type: Relu, inputs: [x], outputs: []}\n";
    parse_fails(no_outputs, strlen(no_outputs), 7, 50, "operator 'op' has no outputs");
    const char *twice = HEADER X_Y "operators:\n  - {name: op, type: Split, inputs: [x], outputs: [y, y]}\n";
    parse_fails(twice, strlen(twice), 7, 55, "operator 'op' lists output 'y' twice");
    const char *dup_attr = HEADER X_Y "operators:\n  - {name: op, type: Relu, inputs: [x], outputs: [y], "
                                      "attrs: {a: \"1\", a: \"2\"}}\n";
    parse_fails(dup_attr, strlen(dup_attr), 7, 71, "duplicate attribute 'a' in operator 'op' (first given at line 7)");
    const char *null_attr = HEADER X_Y "operators:\n  - {name: op, type: Relu, inputs: [x], outputs: [y], "
                                       "attrs: {a: }}\n";
    parse_fails(null_attr, strlen(null_attr), 7, 63, "attribute 'a' of operator 'op' has no value");
    const char *no_type = HEADER X_Y "operators:\n  - {name: op, inputs: [x], outputs: [y]}\n";
    parse_fails(no_type, strlen(no_type), 7, 5, "operator 'op' is missing required key 'type'");
    const char *op_scalar = HEADER X_Y "operators:\n  - conv\n";
    parse_fails(op_scalar, strlen(op_scalar), 7, 5, "operator #1 must be a mapping, found a scalar");
    const char *bad_key = HEADER X_Y "operators:\n  - {[a]: 1}\n";
    parse_fails(bad_key, strlen(bad_key), 7, 6, "a key in operator #1 must be a word, found a list");
    /* libyaml reports control characters with their code */
    const char *control = "cosma_graph: 1\nname: \"a\x01\"\n";
    parse_fails(control, strlen(control), 2, 9, "YAML syntax error: control characters are not allowed (#x1)");
    /* an embedded NUL is a control character too, found by length */
    parse_fails("cosma_graph: 1\0", 15, 1, 15, "YAML syntax error: control characters are not allowed (#x0)");
    const char *nul_escape = "cosma_graph: 1\nname: \"a\\0b\"\n";
    parse_fails(nul_escape, strlen(nul_escape), 2, 7, "the graph name contains a NUL character");
}
END_TEST

START_TEST(test_every_error_reported)
{
    /* Reader errors do not stop at the first: all three are reported. */
    const char *text = HEADER "tensors:\n"
                              "  - {name: x, kind: inptu, dtype: f32, shape: [4]}\n"
                              "  - {name: y, kind: output, dtype: f32, shape: [4], colour: red}\n"
                              "operators:\n"
                              "  - {name: op, type: Relu, inputs: [z], outputs: [y]}\n";
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_parse_yaml(text, strlen(text), "m.yaml", &graph, &diag.diag), COSMA_ERR_INPUT);
    ck_assert_int_eq(diag.diag.n_errors, 3);
    ck_assert(test_diag_contains(&diag, "m.yaml:4:21: unknown tensor kind 'inptu'"));
    ck_assert(test_diag_contains(&diag, "m.yaml:5:53: unknown key 'colour' in tensor 'y'"));
    ck_assert(test_diag_contains(&diag, "m.yaml:7:37: operator 'op' reads tensor 'z'"));
}
END_TEST

START_TEST(test_error_cap)
{
    cosma_buf_t text;
    cosma_buf_init(&text);
    /* operators come first so that the only errors are the bad kinds */
    cosma_buf_puts(&text, HEADER "operators: [{name: op, type: T, inputs: [t0], outputs: [t1]}]\ntensors:\n");
    for (int i = 0; i < 80; i++)
        cosma_buf_printf(&text, "  - {name: t%d, kind: bogus, bytes: 4}\n", i);
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_parse_yaml(text.data, text.length, "m.yaml", &graph, &diag.diag),
                     COSMA_ERR_INPUT);
    ck_assert_int_eq(diag.diag.n_errors, 50);
    ck_assert(test_diag_contains(&diag, "m.yaml: too many errors; stopping here"));
    ck_assert(test_diag_contains(&diag, "m.yaml:5:22: unknown tensor kind 'bogus' in tensor 't0'"));
    ck_assert(test_diag_contains(&diag, "m.yaml:54:23: unknown tensor kind 'bogus' in tensor 't49'"));
    ck_assert(!test_diag_contains(&diag, "'t50'"));
    cosma_buf_free(&text);
}
END_TEST

START_TEST(test_null_input_and_aliases)
{
    /* ~ is an empty optional input like ""; aliases may share lists and
     * attribute sets; key order inside a mapping does not matter. */
    const char *text = "cosma_graph: 1\n"
                       "operators:\n"
                       "  - {outputs: [y], name: op, type: Add, inputs: [x, ~], attrs: &common {k: \"v\", n: 2}}\n"
                       "  - {name: op2, type: Relu, inputs: [y], outputs: [z], attrs: *common}\n"
                       "tensors:\n"
                       "  - {name: x, kind: input, dtype: u8, shape: &s [2, 3]}\n"
                       "  - {name: y, kind: activation, dtype: u8, shape: *s}\n"
                       "  - {name: z, kind: output, dtype: bool, shape: *s}\n"
                       "name: \"a \\\"quoted\\\" name\"\n";
    cosma_graph_t *graph = parse_ok(text, "aliases");
    ck_assert_str_eq(graph->name, "a \"quoted\" name");
    ck_assert_int_eq(graph->ops[0].n_inputs, 2);
    ck_assert_int_eq(graph->ops[0].inputs[0], 0);
    ck_assert_int_eq(graph->ops[0].inputs[1], -1);
    ck_assert_int_eq(graph->ops[1].n_attrs, 2);
    ck_assert_str_eq(graph->ops[1].attrs[1].key, "n");
    ck_assert_str_eq(graph->ops[1].attrs[1].value, "2");
    ck_assert_int_eq(graph->tensors[2].rank, 2);
    ck_assert_int_eq(graph->tensors[2].dims[1], 3);
    ck_assert_int_eq(graph->tensors[2].dtype, COSMA_DTYPE_BOOL);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_alias_expansion_bounded)
{
    /* 3000 aliases of a tensor whose shape has 3000 entries: 9 million
     * items to check from a 30 KB file.  Refused after a bounded amount of
     * work instead. */
    cosma_buf_t text;
    cosma_buf_init(&text);
    cosma_buf_puts(&text, HEADER "tensors:\n  - &t {name: x, kind: input, dtype: u8, shape: [1");
    for (int i = 1; i < 3000; i++)
        cosma_buf_puts(&text, ", 1");
    cosma_buf_puts(&text, "]}\n");
    for (int i = 1; i < 3000; i++)
        cosma_buf_puts(&text, "  - *t\n");
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_parse_yaml(text.data, text.length, "bomb", &graph, &diag.diag),
                     COSMA_ERR_INPUT);
    ck_assert_msg(test_diag_contains(&diag, "bomb:1:1: the document expands too much through aliases"), "%s",
                  diag.text);
    cosma_buf_free(&text);
}
END_TEST

START_TEST(test_missing_file)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = (cosma_graph_t *)&diag;
    ck_assert_int_eq(cosma_frontend_read_yaml("/nonexistent/graph.yaml", &graph, &diag.diag), COSMA_ERR_IO);
    ck_assert_ptr_null(graph);
    ck_assert(test_diag_contains(&diag, "cannot open '/nonexistent/graph.yaml'"));
}
END_TEST

/* ---- writing --------------------------------------------------------- */

START_TEST(test_emit_exact_text)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_read_yaml(test_source_path("tests/data/tiny.yaml"), &graph, &diag.diag),
                     COSMA_OK);
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    ck_assert_int_eq(cosma_frontend_emit_yaml(graph, &buf), COSMA_OK);
    ck_assert_str_eq(buf.data,
                     "# cosma graph: 6 tensors, 3 operators (format: docs/graph-format.md)\n"
                     "cosma_graph: 1\n"
                     "name: \"tiny\"\n"
                     "elem_bytes: 1\n"
                     "tensors:\n"
                     "  - {name: \"x\", kind: input, dtype: f32, shape: [1, 3, 8, 8]}\n"
                     "  - {name: \"w\", kind: param, dtype: f32, shape: [4, 3, 3, 3]}\n"
                     "  - {name: \"conv/out:0\", kind: activation, dtype: f16, shape: [1, 4, 6, 6]}\n"
                     "  - {name: \"scale\", kind: param, dtype: f32, shape: []}\n"
                     "  - {name: \"blob\", kind: activation, bytes: 4096}\n"
                     "  - {name: \"out\", kind: output, dtype: i8, shape: [1, 4]}\n"
                     "operators:\n"
                     "  - {name: \"conv1\", type: \"Conv\", inputs: [\"x\", \"w\", \"\"], outputs: [\"conv/out:0\"], "
                     "attrs: {\"kernel_shape\": \"[3,3]\", \"group\": \"1\"}}\n"
                     "  - {name: \"pack\", type: \"Custom\", inputs: [\"conv/out:0\", \"scale\"], outputs: "
                     "[\"blob\"]}\n"
                     "  - {name: \"head\", type: \"Gemm\", inputs: [\"blob\", \"w\"], outputs: [\"out\"]}\n");
    cosma_buf_free(&buf);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_round_trip_hostile_names)
{
    /* Names as ONNX exporters make them, and worse: YAML indicators,
     * quotes, escapes, things that look like numbers or null, characters
     * YAML only carries escaped, and an attribute name longer than YAML's
     * 1024-character limit on implicit keys. */
    static const char *const names[] = {
        "/model/conv1/Conv_output_0", "onnx::MatMul_123", "a: b", "- dash", "#hash", "[x]", "{y}", "&anchor",
        "*alias", "!tag", "%pct", "@at", "`tick`", "'single'", "say \"hi\"", "back\\slash", "new\nline",
        "tab\there", "cr\rhere", "  padded  ", "null", "~", "123", "-5", "true", "1e3", "caf\xc3\xa9",
        "\xe6\x97\xa5\xe6\x9c\xac", "line\xe2\x80\xa8sep", "nel\xc2\x85x", "c1\xc2\x9bx", "del\x7fx", "bell\x07x",
        "bom\xef\xbb\xbfx", "nbsp\xc2\xa0x", "emoji\xf0\x9f\x98\x80", "...", "---", "? q", ": colon", ",comma",
    };
    const int n = (int)(sizeof names / sizeof names[0]);
    cosma_graph_t *graph = cosma_graph_create("graph: \"weird\" \xc3\xa9");
    graph->elem_bytes = 2;
    cosma_loc_t nowhere = {0};
    int64_t dims[3] = {2, 3, 5};
    int32_t input = -1;
    ck_assert_int_eq(cosma_graph_add_tensor(graph, "in", COSMA_TENSOR_INPUT, COSMA_DTYPE_BF16, 0, dims, 0, nowhere,
                                            &input), COSMA_OK);
    char long_key[1500];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    int32_t previous = input;
    for (int i = 0; i < n; i++) {
        int32_t t = -1;
        cosma_dtype_t dtype = (cosma_dtype_t)(1 + i % (COSMA_DTYPE_COUNT - 1));
        if (i % 5 == 4)
            ck_assert_int_eq(cosma_graph_add_tensor(graph, names[i], i == n - 1 ? COSMA_TENSOR_OUTPUT
                                                                                : COSMA_TENSOR_ACTIVATION,
                                                    COSMA_DTYPE_RAW, -1, NULL, 1000 + (uint64_t)i, nowhere, &t),
                             COSMA_OK);
        else
            ck_assert_int_eq(cosma_graph_add_tensor(graph, names[i], i == n - 1 ? COSMA_TENSOR_OUTPUT
                                                                                : COSMA_TENSOR_ACTIVATION,
                                                    dtype, i % 4, dims, 0, nowhere, &t),
                             COSMA_OK);
        int32_t inputs[3] = {previous, -1, input};
        cosma_attr_t attrs[3] = {{names[i], names[(i + 1) % n]}, {"empty", ""}, {long_key, names[i]}};
        char op_name[64];
        snprintf(op_name, sizeof op_name, "op %d: %s", i, i % 2 ? "x" : "y");
        ck_assert_int_eq(cosma_graph_add_op(graph, op_name, names[(i + 7) % n], inputs, 3, &t, 1, attrs,
                                            i % 3 == 0 ? 3 : i % 3, nowhere, NULL),
                         COSMA_OK);
        previous = t;
    }
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_graph_finalize(graph, &diag.diag) == COSMA_OK, "%s", diag.text);
    char *text = check_round_trip(graph, "hostile");
    /* spot checks of the escaping */
    ck_assert_ptr_nonnull(strstr(text, "name: \"say \\\"hi\\\"\""));
    ck_assert_ptr_nonnull(strstr(text, "name: \"back\\\\slash\""));
    ck_assert_ptr_nonnull(strstr(text, "name: \"new\\nline\""));
    ck_assert_ptr_nonnull(strstr(text, "name: \"line\\u2028sep\""));
    ck_assert_ptr_nonnull(strstr(text, "name: \"del\\x7Fx\""));
    ck_assert_ptr_nonnull(strstr(text, "name: \"caf\xc3\xa9\""));
    ck_assert_ptr_nonnull(strstr(text, "? \"kkkk"));
    free(text);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_emit_rejects_invalid_utf8)
{
    cosma_graph_t *graph = test_graph_new("g");
    test_graph_tensor(graph, "in", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(graph, "bad\xff", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(graph, "op", "in", "bad\xff");
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    ck_assert_int_eq(cosma_frontend_emit_yaml(graph, &buf), COSMA_ERR_INPUT);
    cosma_buf_free(&buf);

    char dir[] = "/tmp/cosma_yaml_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.yaml", dir);
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_frontend_write_yaml(graph, path, &diag.diag), COSMA_ERR_INPUT);
    ck_assert_msg(test_diag_contains(&diag, "a tensor name is not valid UTF-8 (\"bad\\xFF\")"), "%s", diag.text);
    ck_assert_int_ne(access(path, F_OK), 0); /* nothing written */
    ck_assert_int_eq(rmdir(dir), 0);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_write_then_read)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_read_yaml(test_source_path("graphs/example.yaml"), &graph, &diag.diag),
                     COSMA_OK);
    char dir[] = "/tmp/cosma_yaml_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/example.yaml", dir);
    ck_assert_int_eq(cosma_frontend_write_yaml(graph, path, &diag.diag), COSMA_OK);
    cosma_graph_t *back = NULL;
    ck_assert_int_eq(cosma_frontend_read_yaml(path, &back, &diag.diag), COSMA_OK);
    char why[512];
    ck_assert_msg(graphs_equal(graph, back, why, sizeof why), "%s", why);
    /* errors in the written file are reported against its own path */
    ck_assert_str_eq(back->tensors[0].loc.file, path);
    ck_assert_int_eq(back->tensors[0].loc.line, 5);
    /* the temporary file was renamed away: only the output is left */
    DIR *listing = opendir(dir);
    int entries = 0;
    for (struct dirent *entry; (entry = readdir(listing)) != NULL;)
        entries += entry->d_name[0] != '.';
    closedir(listing);
    ck_assert_int_eq(entries, 1);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    /* an unwritable place is an i/o error, with the path named */
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_frontend_write_yaml(graph, "/nonexistent/dir/g.yaml", &diag.diag), COSMA_ERR_IO);
    ck_assert(test_diag_contains(&diag, "/nonexistent/dir/g.yaml"));
    cosma_graph_destroy(back);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- round trips ----------------------------------------------------- */

static void round_trip_file(const char *path)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cosma_frontend_read_yaml(path, &graph, &diag.diag);
    ck_assert_msg(status == COSMA_OK, "%s: %s\n%s", path, cosma_status_name(status), diag.text);
    free(check_round_trip(graph, path));
    cosma_graph_destroy(graph);
}

START_TEST(test_round_trip_examples)
{
    round_trip_file(test_source_path("tests/data/tiny.yaml"));
}
END_TEST

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .yaml file in graphs/, in name order; the hand-written example is always
 * there, the ONNX imports when they have been generated. */
START_TEST(test_round_trip_bundled_graphs)
{
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", test_source_path("graphs"));
    DIR *dir = opendir(folder);
    ck_assert_ptr_nonnull(dir);
    char **names = NULL;
    size_t count = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        size_t n = strlen(entry->d_name);
        if (entry->d_name[0] == '.' || n < 6 || strcmp(entry->d_name + n - 5, ".yaml") != 0)
            continue;
        names = realloc(names, (count + 1) * sizeof *names);
        ck_assert_ptr_nonnull(names);
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, compare_strings);
    int has_example = 0;
    for (size_t i = 0; i < count; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", folder, names[i]);
        round_trip_file(path);
        has_example |= strcmp(names[i], "example.yaml") == 0;
        free(names[i]);
    }
    free(names);
    ck_assert_int_ge((int)count, 1);
    ck_assert(has_example);
}
END_TEST

static Suite *frontend_yaml_suite(void)
{
    Suite *suite = suite_create("frontend_yaml");
    TCase *reading = tcase_create("reading");
    tcase_add_test(reading, test_tiny_example);
    tcase_add_test(reading, test_bundled_example);
    tcase_add_test(reading, test_documented_example);
    tcase_add_loop_test(reading, test_bad_file, 0, N_BAD_FILES);
    tcase_add_test(reading, test_bad_files_all_listed);
    tcase_add_test(reading, test_in_memory_errors);
    tcase_add_test(reading, test_every_error_reported);
    tcase_add_test(reading, test_error_cap);
    tcase_add_test(reading, test_null_input_and_aliases);
    tcase_add_test(reading, test_alias_expansion_bounded);
    tcase_add_test(reading, test_missing_file);
    suite_add_tcase(suite, reading);
    TCase *writing = tcase_create("writing");
    tcase_add_test(writing, test_emit_exact_text);
    tcase_add_test(writing, test_round_trip_hostile_names);
    tcase_add_test(writing, test_emit_rejects_invalid_utf8);
    tcase_add_test(writing, test_write_then_read);
    suite_add_tcase(suite, writing);
    TCase *round_trips = tcase_create("round_trips");
    tcase_add_test(round_trips, test_round_trip_examples);
    tcase_add_test(round_trips, test_round_trip_bundled_graphs);
    tcase_set_timeout(round_trips, 120);
    suite_add_tcase(suite, round_trips);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(frontend_yaml_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
