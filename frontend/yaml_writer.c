/* yaml_writer.c: writes a graph in the YAML graph format
 * (docs/graph-format.md), one flow-style line per tensor and operator, so
 * that reading the text back gives the same graph.  Hand-formatted rather
 * than through libyaml's emitter: the layout is part of what makes the
 * files diffable, and every string is double-quoted so no name can be
 * mistaken for a number, a null or YAML syntax. */
#include <stdio.h>
#include <string.h>

#include <cosma/frontend.h>

/* YAML limits an implicit key to 1024 characters; longer attribute names
 * are written as explicit keys ("? key : value"). */
#define MAX_IMPLICIT_KEY 1000

/* ir's one strict decoder over a NUL-terminated string: length of the
 * sequence at p, 0 when it is not valid UTF-8. */
static size_t utf8_decode(const unsigned char *p, uint32_t *out_cp)
{
    return cosma_utf8_decode((const char *)p, strnlen((const char *)p, 4), out_cp);
}

static int utf8_valid(const char *text)
{
    return cosma_utf8_invalid_at(text, strlen(text)) == strlen(text);
}

/* Characters a YAML reader accepts verbatim inside a double-quoted scalar
 * on one line: printable, and neither a line break nor a byte-order mark. */
static int verbatim(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 0x20 && cp != 0x7F;
    if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF)
        return 0;
    return cp <= 0xD7FF || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
}

/* Appends text as a YAML double-quoted scalar (text is valid UTF-8). */
static void put_quoted(cosma_buf_t *buf, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    cosma_buf_append(buf, "\"", 1);
    while (*p != '\0') {
        uint32_t cp = 0;
        size_t n = utf8_decode(p, &cp);
        if (n == 0) { /* callers check first; never loop forever */
            cosma_buf_printf(buf, "\\x%02X", *p);
            p++;
            continue;
        }
        if (cp == '"')
            cosma_buf_append(buf, "\\\"", 2);
        else if (cp == '\\')
            cosma_buf_append(buf, "\\\\", 2);
        else if (cp == '\n')
            cosma_buf_append(buf, "\\n", 2);
        else if (cp == '\t')
            cosma_buf_append(buf, "\\t", 2);
        else if (cp == '\r')
            cosma_buf_append(buf, "\\r", 2);
        else if (verbatim(cp))
            cosma_buf_append(buf, (const char *)p, n);
        else if (cp < 0x80)
            cosma_buf_printf(buf, "\\x%02X", (unsigned)cp);
        else
            cosma_buf_printf(buf, "\\u%04X", (unsigned)cp);
        p += n;
    }
    cosma_buf_append(buf, "\"", 1);
}

/* Finds a string YAML cannot carry (not UTF-8); returns a description of
 * where it is, or NULL when every string is fine. */
static const char *find_invalid_text(const cosma_graph_t *graph, const char **out_text)
{
    *out_text = graph->name;
    if (!utf8_valid(graph->name))
        return "the graph name";
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        *out_text = graph->tensors[t].name;
        if (!utf8_valid(graph->tensors[t].name))
            return "a tensor name";
    }
    for (int32_t o = 0; o < graph->n_ops; o++) {
        const cosma_op_t *op = &graph->ops[o];
        *out_text = op->name;
        if (!utf8_valid(op->name))
            return "an operator name";
        *out_text = op->type;
        if (!utf8_valid(op->type))
            return "an operator type";
        for (int32_t a = 0; a < op->n_attrs; a++) {
            *out_text = op->attrs[a].key;
            if (!utf8_valid(op->attrs[a].key))
                return "an attribute name";
            *out_text = op->attrs[a].value;
            if (!utf8_valid(op->attrs[a].value))
                return "an attribute value";
        }
    }
    *out_text = NULL;
    return NULL;
}

static int graph_is_consistent(const cosma_graph_t *graph)
{
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        if ((unsigned)tensor->kind > COSMA_TENSOR_PARAM || (unsigned)tensor->dtype >= COSMA_DTYPE_COUNT ||
            (tensor->dtype != COSMA_DTYPE_RAW && tensor->rank < 0) || tensor->name == NULL)
            return 0;
    }
    for (int32_t o = 0; o < graph->n_ops; o++) {
        const cosma_op_t *op = &graph->ops[o];
        if (op->name == NULL || op->type == NULL)
            return 0;
        for (int32_t i = 0; i < op->n_inputs; i++)
            if (op->inputs[i] < -1 || op->inputs[i] >= graph->n_tensors)
                return 0;
        for (int32_t i = 0; i < op->n_outputs; i++)
            if (op->outputs[i] < 0 || op->outputs[i] >= graph->n_tensors)
                return 0;
    }
    return 1;
}

static void put_tensor_list(cosma_buf_t *buf, const cosma_graph_t *graph, const int32_t *list, int32_t n)
{
    cosma_buf_puts(buf, "[");
    for (int32_t i = 0; i < n; i++) {
        if (i > 0)
            cosma_buf_puts(buf, ", ");
        put_quoted(buf, list[i] >= 0 ? graph->tensors[list[i]].name : "");
    }
    cosma_buf_puts(buf, "]");
}

cosma_status_t cosma_frontend_emit_yaml(const cosma_graph_t *graph, cosma_buf_t *buf)
{
    const char *text;
    if (graph == NULL || buf == NULL || graph->name == NULL || !graph_is_consistent(graph))
        return COSMA_ERR_USAGE;
    if (find_invalid_text(graph, &text) != NULL)
        return COSMA_ERR_INPUT;
    cosma_buf_printf(buf, "# cosma graph: %d tensors, %d operators (format: docs/graph-format.md)\n",
                     (int)graph->n_tensors, (int)graph->n_ops);
    cosma_buf_puts(buf, "cosma_graph: 1\nname: ");
    put_quoted(buf, graph->name);
    cosma_buf_puts(buf, "\n");
    if (graph->elem_bytes > 0)
        cosma_buf_printf(buf, "elem_bytes: %u\n", (unsigned)graph->elem_bytes);

    cosma_buf_puts(buf, graph->n_tensors > 0 ? "tensors:\n" : "tensors: []\n");
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        cosma_buf_puts(buf, "  - {name: ");
        put_quoted(buf, tensor->name);
        cosma_buf_printf(buf, ", kind: %s", cosma_tensor_kind_name(tensor->kind));
        if (tensor->dtype == COSMA_DTYPE_RAW) {
            cosma_buf_printf(buf, ", bytes: %llu}\n", (unsigned long long)tensor->raw_bytes);
            continue;
        }
        cosma_buf_printf(buf, ", dtype: %s, shape: [", cosma_dtype_name(tensor->dtype));
        for (int32_t d = 0; d < tensor->rank; d++)
            cosma_buf_printf(buf, "%s%lld", d > 0 ? ", " : "", (long long)tensor->dims[d]);
        cosma_buf_puts(buf, "]}\n");
    }

    cosma_buf_puts(buf, graph->n_ops > 0 ? "operators:\n" : "operators: []\n");
    for (int32_t o = 0; o < graph->n_ops; o++) {
        const cosma_op_t *op = &graph->ops[o];
        cosma_buf_puts(buf, "  - {name: ");
        put_quoted(buf, op->name);
        cosma_buf_puts(buf, ", type: ");
        put_quoted(buf, op->type);
        cosma_buf_puts(buf, ", inputs: ");
        put_tensor_list(buf, graph, op->inputs, op->n_inputs);
        cosma_buf_puts(buf, ", outputs: ");
        put_tensor_list(buf, graph, op->outputs, op->n_outputs);
        if (op->n_attrs > 0) {
            cosma_buf_puts(buf, ", attrs: {");
            for (int32_t a = 0; a < op->n_attrs; a++) {
                if (a > 0)
                    cosma_buf_puts(buf, ", ");
                size_t mark = buf->length;
                put_quoted(buf, op->attrs[a].key);
                if (!buf->failed && buf->length - mark > MAX_IMPLICIT_KEY) {
                    buf->length = mark;
                    cosma_buf_puts(buf, "? ");
                    put_quoted(buf, op->attrs[a].key);
                    cosma_buf_puts(buf, " : ");
                } else {
                    cosma_buf_puts(buf, ": ");
                }
                put_quoted(buf, op->attrs[a].value);
            }
            cosma_buf_puts(buf, "}");
        }
        cosma_buf_puts(buf, "}\n");
    }
    return buf->failed ? COSMA_ERR_NOMEM : COSMA_OK;
}

cosma_status_t cosma_frontend_write_yaml(const cosma_graph_t *graph, const char *path, cosma_diag_t *diag)
{
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    cosma_status_t status = cosma_frontend_emit_yaml(graph, &buf);
    if (status == COSMA_ERR_INPUT) {
        const char *text;
        const char *where = find_invalid_text(graph, &text);
        char shown[120];
        size_t used = 0;
        /* Show the bytes escaped: printing them raw would garble the message. */
        for (const unsigned char *p = (const unsigned char *)(text != NULL ? text : "");
             *p != '\0' && used + 5 < sizeof shown; p++)
            used += (size_t)snprintf(shown + used, sizeof shown - used, *p >= 0x20 && *p < 0x7F ? "%c" : "\\x%02X",
                                     *p);
        shown[used] = '\0';
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write graph as YAML to '%s': %s is not valid UTF-8 (\"%s\")",
                          path, where != NULL ? where : "a string", shown);
    } else if (status == COSMA_ERR_USAGE) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write graph as YAML to '%s': the graph is inconsistent",
                          path);
    } else if (status == COSMA_ERR_NOMEM) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while writing '%s'", path);
    } else {
        status = cosma_file_write_atomic(path, buf.data != NULL ? buf.data : "", buf.length, diag);
    }
    cosma_buf_free(&buf);
    return status;
}
