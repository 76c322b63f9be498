/* yaml_reader.c: reads the YAML graph format (docs/graph-format.md) into a
 * finalized graph.  libyaml's document API gives every node its position,
 * so each complaint names file:line:column of the node at fault. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <cosma/frontend.h>

#define FORMAT_VERSION 1
/* Past this many errors the rest are usually echoes of the first ones. */
#define MAX_ERRORS 50
#define MAX_KEYS 8
/* Longest name that labels a tensor or operator in messages (char what[300]). */
#define MAX_LABEL_NAME 200

typedef struct {
    const char *file;
    const char *text;
    size_t length;
    yaml_document_t *doc;
    cosma_diag_t *diag;
    int errors;
    int stopped;
    /* Aliases let a small file name the same big list many times; the
     * budget bounds the work to a multiple of the document's size. */
    size_t visits, visit_budget;
    /* Scratch arrays reused across items. */
    int64_t *dims;
    size_t cap_dims;
    int32_t *ids;
    size_t cap_ids;
    cosma_attr_t *attrs;
    size_t cap_attrs;
    /* For each node that is a mapping value, its key (1-based node id, 0
     * for none): libyaml places an empty value at the next token, maybe
     * lines later, so complaints about one point at its key instead. */
    int *key_of;
    /* Tensor names sorted (name, index) for reference lookups. */
    int32_t *by_name;
    cosma_graph_t *graph;
} reader_t;

/* One allowed key of a mapping and what the file gave for it. */
typedef struct {
    const char *key;
    yaml_node_t *key_node;
    yaml_node_t *value;
} field_t;

static cosma_loc_t loc_of_mark(const reader_t *r, yaml_mark_t mark)
{
    cosma_loc_t loc = {r->file, (int)mark.line + 1, (int)mark.column + 1};
    return loc;
}

static void verror_loc(reader_t *r, cosma_loc_t loc, const char *fmt, va_list ap)
{
    char message[800];
    vsnprintf(message, sizeof message, fmt, ap);
    cosma_diag_error_at(r->diag, loc, "%s", message);
    if (++r->errors >= MAX_ERRORS && !r->stopped) {
        cosma_diag_report(r->diag, COSMA_SEV_NOTE, "%s: too many errors; stopping here", r->file);
        r->stopped = 1;
    }
}

static void error_at(reader_t *r, const yaml_node_t *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void error_at(reader_t *r, const yaml_node_t *node, const char *fmt, ...)
{
    if (r->stopped)
        return;
    if (node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0 &&
        node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && r->key_of != NULL) {
        int key = r->key_of[node - r->doc->nodes.start];
        if (key > 0)
            node = yaml_document_get_node(r->doc, key);
    }
    va_list ap;
    va_start(ap, fmt);
    verror_loc(r, loc_of_mark(r, node->start_mark), fmt, ap);
    va_end(ap);
}

static yaml_node_t *node_at(const reader_t *r, int id)
{
    return yaml_document_get_node(r->doc, id);
}

/* Counts one unit of work; 0 while within the budget. */
static int visit(reader_t *r)
{
    if (r->stopped)
        return -1;
    if (++r->visits <= r->visit_budget)
        return 0;
    yaml_node_t *root = yaml_document_get_root_node(r->doc);
    error_at(r, root, "the document expands too much through aliases (more than %zu items visited); "
                      "write repeated lists out instead of aliasing them", r->visit_budget);
    r->stopped = 1;
    return -1;
}

static int is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *text = (const char *)node->data.scalar.value;
    return strcmp(text, "") == 0 || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 ||
           strcmp(text, "Null") == 0 || strcmp(text, "NULL") == 0;
}

static const char *node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE: return is_null(node) ? "an empty value" : "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static const char *scalar_text(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static size_t seq_length(const yaml_node_t *node)
{
    return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

static void join_keys(const char *const *keys, int n_keys, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < n_keys && used < size; k++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", k > 0 ? ", " : "", keys[k]);
}

/* Checks that node is a mapping whose keys are distinct and among keys;
 * fills fields[k].value for each key present.  what names the mapping in
 * messages.  Returns 0 when the node is a mapping (key errors are
 * reported and counted but do not stop the caller). */
static int read_fields(reader_t *r, yaml_node_t *node, const char *what, const char *const *keys, int n_keys,
                       field_t *fields)
{
    for (int k = 0; k < n_keys; k++) {
        fields[k].key = keys[k];
        fields[k].key_node = NULL;
        fields[k].value = NULL;
    }
    if (node->type != YAML_MAPPING_NODE) {
        error_at(r, node, "%s must be a mapping, found %s", what, node_kind(node));
        return -1;
    }
    char allowed[256];
    join_keys(keys, n_keys, allowed, sizeof allowed);
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        if (visit(r) != 0)
            return -1;
        yaml_node_t *key = node_at(r, pair->key);
        yaml_node_t *value = node_at(r, pair->value);
        if (key->type != YAML_SCALAR_NODE || is_null(key)) {
            error_at(r, key, "a key in %s must be a word, found %s (allowed keys: %s)", what, node_kind(key),
                     allowed);
            continue;
        }
        int k = 0;
        while (k < n_keys && strcmp(scalar_text(key), keys[k]) != 0)
            k++;
        if (k == n_keys) {
            error_at(r, key, "unknown key '%s' in %s (allowed keys: %s)", scalar_text(key), what, allowed);
        } else if (fields[k].value != NULL) {
            error_at(r, key, "duplicate key '%s' in %s (first given at line %d)", keys[k], what,
                     (int)fields[k].key_node->start_mark.line + 1);
        } else {
            fields[k].key_node = key;
            fields[k].value = value;
        }
    }
    return 0;
}

/* Reads a string value: a non-empty scalar without NUL characters. */
static int read_string(reader_t *r, yaml_node_t *node, const char *what, const char **out)
{
    if (node->type != YAML_SCALAR_NODE || is_null(node)) {
        error_at(r, node, "%s must be a string, found %s", what, node_kind(node));
        return -1;
    }
    if (strlen(scalar_text(node)) != node->data.scalar.length) {
        error_at(r, node, "%s contains a NUL character", what);
        return -1;
    }
    if (node->data.scalar.length == 0) {
        error_at(r, node, "%s must not be empty", what);
        return -1;
    }
    *out = scalar_text(node);
    return 0;
}

typedef enum { INT_OK, INT_NEGATIVE, INT_NOT_INTEGER, INT_TOO_LARGE } int_result_t;

/* Decimal digits only (YAML 1.2 core schema integers, without sign). */
static int_result_t parse_unsigned(const char *text, uint64_t max, uint64_t *out)
{
    const char *p = text;
    int negative = 0;
    if (*p == '-' || *p == '+') {
        negative = *p == '-';
        p++;
    }
    if (*p == '\0')
        return INT_NOT_INTEGER;
    uint64_t value = 0;
    int too_large = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return INT_NOT_INTEGER;
        if (!too_large && (value > (max - (uint64_t)(*p - '0')) / 10 || value > UINT64_MAX / 10))
            too_large = 1;
        if (!too_large)
            value = value * 10 + (uint64_t)(*p - '0');
    }
    if (negative && (value != 0 || too_large))
        return INT_NEGATIVE;
    if (too_large)
        return INT_TOO_LARGE;
    *out = value;
    return INT_OK;
}

/* Reads a non-negative integer no larger than max. */
static int read_unsigned(reader_t *r, yaml_node_t *node, const char *what, uint64_t max, uint64_t *out)
{
    if (node->type != YAML_SCALAR_NODE || is_null(node)) {
        error_at(r, node, "%s must be an integer, found %s", what, node_kind(node));
        return -1;
    }
    const char *text = scalar_text(node);
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        error_at(r, node, "%s must be an integer, found the quoted string \"%s\"", what, text);
        return -1;
    }
    switch (parse_unsigned(text, max, out)) {
    case INT_OK: return 0;
    case INT_NEGATIVE: error_at(r, node, "%s must not be negative (found %s)", what, text); break;
    case INT_NOT_INTEGER: error_at(r, node, "%s must be an integer, found '%s'", what, text); break;
    case INT_TOO_LARGE:
        error_at(r, node, "%s is out of range (found %s, largest allowed %llu)", what, text,
                 (unsigned long long)max);
        break;
    }
    return -1;
}

static yaml_node_t *require(reader_t *r, yaml_node_t *mapping, const field_t *field, const char *what)
{
    if (field->value == NULL)
        error_at(r, mapping, "%s is missing required key '%s'", what, field->key);
    return field->value;
}

/* ---- tensors --------------------------------------------------------- */

enum { T_NAME, T_KIND, T_DTYPE, T_SHAPE, T_BYTES, T_COUNT };
static const char *const tensor_keys[T_COUNT] = {"name", "kind", "dtype", "shape", "bytes"};

static void dtype_list(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int d = 1; d < COSMA_DTYPE_COUNT && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", d > 1 ? ", " : "",
                                 cosma_dtype_name((cosma_dtype_t)d));
}

/* How messages name the position-th tensor or operator: by its name when
 * the item has a usable one (so messages about its other keys point at
 * it), else by its position. */
static void item_label(reader_t *r, yaml_node_t *node, const char *kind, int32_t position, char *what,
                       size_t what_size)
{
    snprintf(what, what_size, "%s #%d", kind, (int)position + 1);
    if (node->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *key = node_at(r, p->key), *value = node_at(r, p->value);
        if (key->type == YAML_SCALAR_NODE && strcmp(scalar_text(key), "name") == 0 &&
            value->type == YAML_SCALAR_NODE && !is_null(value) && value->data.scalar.length > 0 &&
            value->data.scalar.length < MAX_LABEL_NAME) {
            snprintf(what, what_size, "%s '%s'", kind, scalar_text(value));
            return;
        }
    }
}

/* Adds one tensor per item, even a broken one (as a 1-byte placeholder),
 * so item positions stay equal to tensor indices. */
static cosma_status_t read_tensor(reader_t *r, yaml_node_t *node, int32_t position)
{
    char what[300];
    field_t f[T_COUNT];
    int errors_before = r->errors;
    const char *name = NULL;
    item_label(r, node, "tensor", position, what, sizeof what);
    cosma_tensor_kind_t kind = COSMA_TENSOR_ACTIVATION;
    cosma_dtype_t dtype = COSMA_DTYPE_RAW;
    int32_t rank = -1;
    uint64_t raw_bytes = 1;
    if (read_fields(r, node, what, tensor_keys, T_COUNT, f) == 0) {
        yaml_node_t *v;
        char label[360];
        if ((v = require(r, node, &f[T_NAME], what)) != NULL) {
            snprintf(label, sizeof label, "the name of %s", what);
            read_string(r, v, label, &name);
        }
        if ((v = require(r, node, &f[T_KIND], what)) != NULL) {
            snprintf(label, sizeof label, "the kind of %s", what);
            const char *text;
            if (read_string(r, v, label, &text) == 0 && cosma_tensor_kind_parse(text, &kind) != 0)
                error_at(r, v, "unknown tensor kind '%s' in %s (allowed: input, activation, output, param)", text,
                         what);
        }
        if (f[T_BYTES].value != NULL) {
            if (f[T_DTYPE].value != NULL || f[T_SHAPE].value != NULL) {
                error_at(r, f[T_BYTES].key_node,
                         "%s has both 'bytes' and '%s': give 'dtype' and 'shape', or 'bytes' alone", what,
                         f[T_DTYPE].value != NULL ? "dtype" : "shape");
            } else {
                snprintf(label, sizeof label, "'bytes' of %s", what);
                uint64_t bytes;
                if (read_unsigned(r, f[T_BYTES].value, label, (uint64_t)INT64_MAX, &bytes) == 0) {
                    if (bytes == 0)
                        error_at(r, f[T_BYTES].value, "%s has zero size ('bytes' must be positive)", what);
                    else
                        raw_bytes = bytes;
                }
            }
        } else if (f[T_DTYPE].value == NULL && f[T_SHAPE].value == NULL) {
            error_at(r, node, "%s has no size: give 'dtype' and 'shape', or 'bytes'", what);
        } else if (f[T_SHAPE].value == NULL) {
            error_at(r, f[T_DTYPE].key_node, "%s has 'dtype' but no 'shape' (write shape: [] for a scalar)", what);
        } else if (f[T_DTYPE].value == NULL) {
            error_at(r, f[T_SHAPE].key_node, "%s has 'shape' but no 'dtype'", what);
        } else {
            snprintf(label, sizeof label, "the dtype of %s", what);
            const char *text;
            yaml_node_t *dnode = f[T_DTYPE].value;
            if (read_string(r, dnode, label, &text) == 0 &&
                (cosma_dtype_parse(text, &dtype) != 0 || dtype == COSMA_DTYPE_RAW)) {
                char allowed[200];
                dtype_list(allowed, sizeof allowed);
                error_at(r, dnode, "unknown dtype '%s' in %s (allowed: %s; for a size in bytes use 'bytes')", text,
                         what, allowed);
                dtype = COSMA_DTYPE_RAW;
            }
            yaml_node_t *shape = f[T_SHAPE].value;
            if (shape->type != YAML_SEQUENCE_NODE) {
                error_at(r, shape, "'shape' of %s must be a list of dimensions, found %s", what, node_kind(shape));
            } else if (seq_length(shape) > INT32_MAX) {
                error_at(r, shape, "'shape' of %s has too many dimensions", what);
            } else if (cosma_array_reserve((void **)&r->dims, &r->cap_dims, seq_length(shape), sizeof(int64_t)) != 0) {
                return COSMA_ERR_NOMEM;
            } else {
                rank = (int32_t)seq_length(shape);
                for (int32_t d = 0; d < rank; d++) {
                    if (visit(r) != 0)
                        break;
                    yaml_node_t *dim = node_at(r, shape->data.sequence.items.start[d]);
                    uint64_t value = 0;
                    snprintf(label, sizeof label, "dimension %d of %s", (int)d, what);
                    if (dim->type == YAML_SCALAR_NODE && dim->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                        parse_unsigned(scalar_text(dim), (uint64_t)INT64_MAX, &value) == INT_NEGATIVE) {
                        error_at(r, dim, "%s has a negative dimension (%s) at axis %d", what, scalar_text(dim),
                                 (int)d);
                    } else if (read_unsigned(r, dim, label, (uint64_t)INT64_MAX, &value) == 0 && value == 0) {
                        error_at(r, dim, "%s has a zero dimension at axis %d (dimensions must be positive)", what,
                                 (int)d);
                    }
                    r->dims[d] = (int64_t)value;
                }
            }
        }
    }
    if (r->errors > errors_before) {
        dtype = COSMA_DTYPE_RAW;
        rank = -1;
        raw_bytes = 1;
    }
    cosma_loc_t loc = loc_of_mark(r, node->start_mark);
    return cosma_graph_add_tensor(r->graph, name != NULL ? name : "", kind, dtype, rank, r->dims, raw_bytes, loc,
                                  NULL);
}

static int compare_by_name(const void *ctx, int32_t x, int32_t y)
{
    const cosma_graph_t *graph = ctx;
    int c = strcmp(graph->tensors[x].name, graph->tensors[y].name);
    return c != 0 ? c : (x > y) - (x < y);
}

/* The first tensor declared with this name, or -1. */
static int32_t lookup_tensor(const reader_t *r, const char *name)
{
    int32_t lo = 0, hi = r->graph->n_tensors - 1, found = -1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->graph->tensors[r->by_name[mid]].name, name);
        if (c == 0)
            found = r->by_name[mid];
        if (c >= 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return found;
}

/* ---- operators ------------------------------------------------------- */

enum { O_NAME, O_TYPE, O_INPUTS, O_OUTPUTS, O_ATTRS, O_COUNT };
static const char *const op_keys[O_COUNT] = {"name", "type", "inputs", "outputs", "attrs"};

/* Resolves a list of tensor names into r->ids + offset.  Empty optional
 * inputs ("" or null) become -1 where allowed. */
static int read_tensor_list(reader_t *r, yaml_node_t *list, const char *key, const char *what, size_t offset,
                            int allow_empty, int32_t *out_count)
{
    *out_count = 0;
    if (list->type != YAML_SEQUENCE_NODE) {
        error_at(r, list, "'%s' of %s must be a list of tensor names, found %s", key, what, node_kind(list));
        return 0;
    }
    size_t n = seq_length(list);
    if (n > INT32_MAX / 2) {
        error_at(r, list, "'%s' of %s is too long", key, what);
        return 0;
    }
    if (cosma_array_reserve((void **)&r->ids, &r->cap_ids, offset + n, sizeof(int32_t)) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (visit(r) != 0)
            return 0;
        yaml_node_t *item = node_at(r, list->data.sequence.items.start[i]);
        int32_t index = -1;
        if (item->type == YAML_SCALAR_NODE && (is_null(item) || item->data.scalar.length == 0)) {
            if (!allow_empty)
                error_at(r, item, "'%s' of %s has an empty entry: every output must name a tensor", key, what);
        } else if (item->type != YAML_SCALAR_NODE) {
            error_at(r, item, "'%s' of %s must list tensor names, found %s", key, what, node_kind(item));
        } else if ((index = lookup_tensor(r, scalar_text(item))) < 0) {
            error_at(r, item, "%s %s tensor '%s', which is not declared in 'tensors'", what,
                     allow_empty ? "reads" : "writes", scalar_text(item));
        } else if (!allow_empty) {
            for (size_t j = 0; j < i; j++)
                if (r->ids[offset + j] == index) {
                    error_at(r, item, "%s lists output '%s' twice", what, scalar_text(item));
                    break;
                }
        }
        r->ids[offset + i] = index;
    }
    *out_count = (int32_t)n;
    return 0;
}

/* Attribute lists up to this long are checked pairwise for duplicates;
 * longer ones are sorted, so a hostile list costs O(n log n). */
#define SMALL_ATTRS 16

typedef struct {
    const char *key;
    size_t index;
} keyed_t;

static int compare_keyed(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

/* Reports every repeated key of r->attrs[0..n) against its first use;
 * -1 when out of memory. */
static int check_duplicate_attrs(reader_t *r, yaml_node_t *node, const char *what, size_t n)
{
    keyed_t *keys = malloc(n * sizeof *keys);
    if (keys == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        keys[i].key = r->attrs[i].key;
        keys[i].index = i;
    }
    qsort(keys, n, sizeof *keys, compare_keyed);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(keys[i].key, keys[first].key) != 0 || keys[i].key[0] == '\0') {
            first = i;
            continue;
        }
        yaml_node_t *at = node_at(r, node->data.mapping.pairs.start[keys[i].index].key);
        yaml_node_t *earlier = node_at(r, node->data.mapping.pairs.start[keys[first].index].key);
        error_at(r, at, "duplicate attribute '%s' in %s (first given at line %d)", keys[i].key, what,
                 (int)earlier->start_mark.line + 1);
    }
    free(keys);
    return 0;
}

static int read_attrs(reader_t *r, yaml_node_t *node, const char *what, int32_t *out_count)
{
    *out_count = 0;
    if (node->type != YAML_MAPPING_NODE) {
        error_at(r, node, "'attrs' of %s must be a mapping of names to values, found %s", what, node_kind(node));
        return 0;
    }
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    if (n > INT32_MAX) {
        error_at(r, node, "'attrs' of %s is too long", what);
        return 0;
    }
    if (cosma_array_reserve((void **)&r->attrs, &r->cap_attrs, n, sizeof(cosma_attr_t)) != 0)
        return -1;
    char label[400];
    for (size_t i = 0; i < n; i++) {
        if (visit(r) != 0)
            return 0;
        yaml_node_pair_t *pair = &node->data.mapping.pairs.start[i];
        yaml_node_t *key = node_at(r, pair->key), *value = node_at(r, pair->value);
        const char *key_text = "", *value_text = "";
        snprintf(label, sizeof label, "an attribute name of %s", what);
        if (read_string(r, key, label, &key_text) == 0) {
            for (size_t j = 0; j < i && n <= SMALL_ATTRS; j++)
                if (strcmp(r->attrs[j].key, key_text) == 0) {
                    yaml_node_t *first = node_at(r, node->data.mapping.pairs.start[j].key);
                    error_at(r, key, "duplicate attribute '%s' in %s (first given at line %d)", key_text, what,
                             (int)first->start_mark.line + 1);
                    break;
                }
            if (value->type != YAML_SCALAR_NODE) {
                error_at(r, value, "attribute '%s' of %s must be a single value, found %s (write lists as strings, "
                                   "e.g. \"[3, 3]\")", key_text, what, node_kind(value));
            } else if (is_null(value)) {
                error_at(r, value, "attribute '%s' of %s has no value (write \"\" for an empty string)", key_text,
                         what);
            } else if (strlen(scalar_text(value)) != value->data.scalar.length) {
                error_at(r, value, "attribute '%s' of %s contains a NUL character", key_text, what);
            } else {
                value_text = scalar_text(value);
            }
        }
        r->attrs[i].key = key_text;
        r->attrs[i].value = value_text;
    }
    if (n > SMALL_ATTRS && check_duplicate_attrs(r, node, what, n) != 0)
        return -1;
    *out_count = (int32_t)n;
    return 0;
}

static cosma_status_t read_operator(reader_t *r, yaml_node_t *node, int32_t position)
{
    char what[300];
    field_t f[O_COUNT];
    int errors_before = r->errors;
    item_label(r, node, "operator", position, what, sizeof what);
    if (read_fields(r, node, what, op_keys, O_COUNT, f) != 0)
        return COSMA_OK;
    const char *name = NULL, *type = NULL;
    int32_t n_inputs = 0, n_outputs = 0, n_attrs = 0;
    char label[360];
    yaml_node_t *v;
    if ((v = require(r, node, &f[O_NAME], what)) != NULL) {
        snprintf(label, sizeof label, "the name of %s", what);
        read_string(r, v, label, &name);
    }
    if ((v = require(r, node, &f[O_TYPE], what)) != NULL) {
        snprintf(label, sizeof label, "the type of %s", what);
        read_string(r, v, label, &type);
    }
    if (f[O_INPUTS].value != NULL &&
        read_tensor_list(r, f[O_INPUTS].value, "inputs", what, 0, 1, &n_inputs) != 0)
        return COSMA_ERR_NOMEM;
    if ((v = require(r, node, &f[O_OUTPUTS], what)) != NULL) {
        if (read_tensor_list(r, v, "outputs", what, (size_t)n_inputs, 0, &n_outputs) != 0)
            return COSMA_ERR_NOMEM;
        if (n_outputs == 0 && v->type == YAML_SEQUENCE_NODE)
            error_at(r, v, "%s has no outputs", what);
    }
    if (f[O_ATTRS].value != NULL && read_attrs(r, f[O_ATTRS].value, what, &n_attrs) != 0)
        return COSMA_ERR_NOMEM;
    if (r->errors > errors_before)
        return COSMA_OK; /* the graph is discarded anyway */
    cosma_loc_t loc = loc_of_mark(r, node->start_mark);
    return cosma_graph_add_op(r->graph, name, type, r->ids, n_inputs, r->ids + n_inputs, n_outputs, r->attrs,
                              n_attrs, loc, NULL);
}

/* ---- the document ---------------------------------------------------- */

enum { G_VERSION, G_NAME, G_ELEM_BYTES, G_TENSORS, G_OPERATORS, G_COUNT };
static const char *const graph_keys[G_COUNT] = {"cosma_graph", "name", "elem_bytes", "tensors", "operators"};

/* Line and column (1-based, in characters) of a byte offset in the input. */
static cosma_loc_t loc_of_offset(const reader_t *r, size_t offset)
{
    cosma_loc_t loc = {r->file, 1, 1};
    for (size_t i = 0; i < offset && i < r->length; i++) {
        unsigned char c = (unsigned char)r->text[i];
        if (c == '\n') {
            loc.line++;
            loc.column = 1;
        } else if ((c & 0xC0) != 0x80) {
            loc.column++;
        }
    }
    return loc;
}

static cosma_status_t report_parser_error(reader_t *r, const yaml_parser_t *parser)
{
    /* libyaml names every syntax problem; an error without one is a failed
     * allocation (some of its paths do not set YAML_MEMORY_ERROR). */
    if (parser->error == YAML_MEMORY_ERROR || parser->problem == NULL) {
        cosma_diag_report(r->diag, COSMA_SEV_ERROR, "%s: out of memory while parsing YAML", r->file);
        return COSMA_ERR_NOMEM;
    }
    const char *problem = parser->problem != NULL ? parser->problem : "unknown problem";
    if (parser->error == YAML_READER_ERROR) {
        /* libyaml points at the bad byte of a UTF-8 sequence; people look
         * for the character, so point at the sequence's first byte. */
        size_t offset = parser->problem_offset;
        int utf8 = strstr(problem, "UTF-8") != NULL;
        if (strstr(problem, "trailing") != NULL)
            while (offset > 0 && offset <= r->length && ((unsigned char)r->text[offset - 1] & 0xC0) == 0x80)
                offset--;
        if (strstr(problem, "trailing") != NULL && offset > 0)
            offset--;
        cosma_loc_t loc = loc_of_offset(r, offset);
        if (utf8)
            cosma_diag_error_at(r->diag, loc, "the file is not valid UTF-8 text (%s)", problem);
        else if (parser->problem_value != -1)
            cosma_diag_error_at(r->diag, loc, "YAML syntax error: %s (#x%X)", problem, (unsigned)parser->problem_value);
        else
            cosma_diag_error_at(r->diag, loc, "YAML syntax error: %s", problem);
    } else if (parser->context != NULL) {
        cosma_diag_error_at(r->diag, loc_of_mark(r, parser->problem_mark),
                            "YAML syntax error: %s %s (from line %d, column %d)", problem, parser->context, (int)parser->context_mark.line + 1,
                            (int)parser->context_mark.column + 1);
    } else {
        cosma_diag_error_at(r->diag, loc_of_mark(r, parser->problem_mark), "YAML syntax error: %s", problem);
    }
    return COSMA_ERR_INPUT;
}

/* A graph file nests five levels deep (graph, list, item, shape or attrs,
 * value); libyaml takes time quadratic in the nesting of flow collections
 * ("[[[[..."), so deeper documents are refused on the first event beyond
 * the limit, before libyaml reads further. */
#define YAML_MAX_DEPTH 64

static cosma_status_t check_depth(reader_t *r)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cosma_diag_report(r->diag, COSMA_SEV_ERROR, "%s: out of memory while parsing YAML", r->file);
        return COSMA_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)r->text, r->length);
    cosma_status_t status = COSMA_OK;
    int depth = 0, done = 0;
    while (!done && status == COSMA_OK) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            status = COSMA_OK; /* the loader reports syntax errors in full */
            break;
        }
        if (event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT) {
            if (++depth > YAML_MAX_DEPTH) {
                cosma_diag_error_at(r->diag, loc_of_mark(r, event.start_mark),
                                    "lists and mappings nest deeper than %d levels", YAML_MAX_DEPTH);
                status = COSMA_ERR_INPUT;
            }
        } else if (event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    if (status == COSMA_OK && parser.error == YAML_MEMORY_ERROR)
        status = report_parser_error(r, &parser);
    yaml_parser_delete(&parser);
    return status;
}

static cosma_status_t read_graph(reader_t *r, yaml_node_t *root)
{
    const char *top = "the top level";
    field_t f[G_COUNT];
    if (root->type != YAML_MAPPING_NODE) {
        error_at(r, root, "a graph file must be a mapping with keys cosma_graph, name, tensors and operators; "
                          "found %s", node_kind(root));
        return COSMA_OK;
    }
    read_fields(r, root, top, graph_keys, G_COUNT, f);
    yaml_node_t *v = f[G_VERSION].value;
    uint64_t version;
    if (v == NULL) {
        error_at(r, root, "missing required key 'cosma_graph' (the format version: write cosma_graph: %d first)",
                 FORMAT_VERSION);
        return COSMA_OK;
    }
    if (read_unsigned(r, v, "'cosma_graph' (the format version)", UINT32_MAX, &version) != 0)
        return COSMA_OK;
    if (version != FORMAT_VERSION) {
        error_at(r, v, "unsupported format version %llu (this reader understands cosma_graph: %d)",
                 (unsigned long long)version, FORMAT_VERSION);
        return COSMA_OK;
    }
    const char *name = "graph";
    if ((v = require(r, root, &f[G_NAME], top)) != NULL)
        read_string(r, v, "the graph name", &name);
    uint64_t elem_bytes = 0;
    if (f[G_ELEM_BYTES].value != NULL)
        read_unsigned(r, f[G_ELEM_BYTES].value, "'elem_bytes'", UINT32_MAX, &elem_bytes);
    r->graph = cosma_graph_create(name);
    if (r->graph == NULL)
        return COSMA_ERR_NOMEM;
    r->graph->elem_bytes = (uint32_t)elem_bytes;

    yaml_node_t *tensors = require(r, root, &f[G_TENSORS], top);
    yaml_node_t *ops = require(r, root, &f[G_OPERATORS], top);
    if (tensors != NULL && tensors->type != YAML_SEQUENCE_NODE) {
        error_at(r, tensors, "'tensors' must be a list of tensors, found %s", node_kind(tensors));
        tensors = NULL;
    } else if (tensors != NULL && seq_length(tensors) == 0) {
        error_at(r, tensors, "'tensors' is empty: a graph needs tensors for its operators to read and write");
    } else if (tensors != NULL && seq_length(tensors) > INT32_MAX / 2) {
        error_at(r, tensors, "'tensors' has too many entries");
        tensors = NULL;
    }
    if (ops != NULL && ops->type != YAML_SEQUENCE_NODE) {
        error_at(r, ops, "'operators' must be a list of operators, found %s", node_kind(ops));
        ops = NULL;
    } else if (ops != NULL && seq_length(ops) == 0) {
        error_at(r, ops, "'operators' is empty: a graph needs at least one operator");
    } else if (ops != NULL && seq_length(ops) > INT32_MAX / 2) {
        error_at(r, ops, "'operators' has too many entries");
        ops = NULL;
    }
    cosma_status_t status;
    if (tensors != NULL) {
        for (size_t i = 0; i < seq_length(tensors) && !r->stopped; i++) {
            if (visit(r) != 0)
                break;
            yaml_node_t *item = node_at(r, tensors->data.sequence.items.start[i]);
            if ((status = read_tensor(r, item, (int32_t)i)) != COSMA_OK)
                return status;
        }
    }
    int32_t n = r->graph->n_tensors;
    r->by_name = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *scratch = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (r->by_name == NULL || scratch == NULL) {
        free(scratch);
        return COSMA_ERR_NOMEM;
    }
    for (int32_t t = 0; t < n; t++)
        r->by_name[t] = t;
    cosma_sort_indices_in(r->by_name, scratch, n, compare_by_name, r->graph);
    free(scratch);
    if (ops != NULL) {
        for (size_t i = 0; i < seq_length(ops) && !r->stopped; i++) {
            if (visit(r) != 0)
                break;
            yaml_node_t *item = node_at(r, ops->data.sequence.items.start[i]);
            if ((status = read_operator(r, item, (int32_t)i)) != COSMA_OK)
                return status;
        }
    }
    return COSMA_OK;
}

cosma_status_t cosma_frontend_parse_yaml(const char *text, size_t length, const char *display_name,
                                         cosma_graph_t **out_graph, cosma_diag_t *diag)
{
    *out_graph = NULL;
    if (text == NULL)
        return COSMA_ERR_USAGE;
    reader_t r;
    memset(&r, 0, sizeof r);
    r.file = display_name != NULL ? display_name : "<yaml>";
    r.text = text;
    r.length = length;
    r.diag = diag;

    cosma_status_t depth_status = check_depth(&r);
    if (depth_status != COSMA_OK)
        return depth_status;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: out of memory while parsing YAML", r.file);
        return COSMA_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
        cosma_status_t status = report_parser_error(&r, &parser);
        yaml_parser_delete(&parser);
        return status;
    }
    r.doc = &doc;
    cosma_status_t status = COSMA_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        cosma_loc_t loc = {r.file, 1, 1};
        cosma_diag_error_at(diag, loc, "empty document: expected a graph (a mapping with keys cosma_graph, name, "
                                       "tensors and operators)");
        status = COSMA_ERR_INPUT;
    } else {
        yaml_document_t extra;
        if (!yaml_parser_load(&parser, &extra)) {
            status = report_parser_error(&r, &parser);
        } else {
            yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
            if (extra_root != NULL) {
                cosma_diag_error_at(diag, loc_of_mark(&r, extra.start_mark),
                                    "more than one YAML document: a graph file holds exactly one");
                status = COSMA_ERR_INPUT;
            }
            yaml_document_delete(&extra);
        }
    }
    if (status == COSMA_OK) {
        size_t n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
        r.visit_budget = 4 * n_nodes + 1024;
        r.key_of = calloc(n_nodes + 1, sizeof(int));
        if (r.key_of == NULL)
            status = COSMA_ERR_NOMEM;
        for (yaml_node_t *node = doc.nodes.start; r.key_of != NULL && node < doc.nodes.top; node++)
            if (node->type == YAML_MAPPING_NODE)
                for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++)
                    r.key_of[p->value - 1] = p->key;
        if (status == COSMA_OK)
            status = read_graph(&r, root);
        if (status == COSMA_OK && r.errors > 0)
            status = COSMA_ERR_INPUT;
        if (status == COSMA_OK)
            status = cosma_graph_finalize(r.graph, diag);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(r.key_of);
    free(r.dims);
    free(r.ids);
    free(r.attrs);
    free(r.by_name);
    if (status != COSMA_OK) {
        cosma_graph_destroy(r.graph);
        return status;
    }
    *out_graph = r.graph;
    return COSMA_OK;
}

cosma_status_t cosma_frontend_read_yaml(const char *path, cosma_graph_t **out_graph, cosma_diag_t *diag)
{
    *out_graph = NULL;
    char *text = NULL;
    size_t length = 0;
    cosma_status_t status = cosma_file_read(path, &text, &length, diag);
    if (status != COSMA_OK)
        return status;
    status = cosma_frontend_parse_yaml(text, length, path, out_graph, diag);
    free(text);
    return status;
}
