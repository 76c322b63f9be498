/* c_header.c: the plan as static C arrays, for deployments without a file
 * system or a JSON parser.  Like the plan file's steps, the header is
 * written from ir's event schedule (cosma_schedule_build), so the two can
 * never disagree on an event. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/codegen.h>

#include "plan_types_text.h"

/* Appends text as a C string literal.  '?' is escaped because -std=c11
 * turns "??=" and friends into trigraphs; other bytes outside printable
 * ASCII become three-digit octal escapes (hex escapes would swallow a
 * following hex digit). */
static void c_string(cosma_buf_t *buf, const char *text)
{
    cosma_buf_puts(buf, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            cosma_buf_printf(buf, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f)
            cosma_buf_append(buf, (const char *)p, 1);
        else
            cosma_buf_printf(buf, "\\%03o", *p);
    }
    cosma_buf_puts(buf, "\"");
}

/* Appends text for use inside a block comment: no comment delimiters, no
 * trigraphs, nothing outside printable ASCII. */
static void comment_text(cosma_buf_t *buf, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        char c = (*p >= 0x20 && *p < 0x7f) ? (char)*p : '.';
        if ((c == '*' && p[1] == '/') || (c == '/' && p[1] == '*') || (c == '?' && p[1] == '?'))
            c = '.';
        if (c == '\\')
            c = '/';
        cosma_buf_append(buf, &c, 1);
    }
}

/* "cosma_" and the graph name as a C identifier prefix: [a-z0-9_] only, so
 * a name starting with a digit is fine too. */
static char *identifier(const char *name)
{
    size_t length = strlen(name);
    char *id = malloc(length + 16);
    if (id == NULL)
        return NULL;
    strcpy(id, length == 0 ? "cosma_graph" : "cosma_");
    size_t k = strlen(id);
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)name[i];
        id[k++] = (char)(c < 0x80 && isalnum(c) ? tolower(c) : '_');
    }
    id[k] = '\0';
    return id;
}

typedef struct {
    cosma_buf_t events, operands, step_events, step_operands;
    uint32_t n_events, n_operands;
} tables_t;

static void add_operands(tables_t *tables, const cosma_graph_t *graph, const cosma_operand_t *operands,
                         int32_t count)
{
    for (int32_t k = 0; k < count; k++) {
        const cosma_operand_t *o = &operands[k];
        cosma_buf_printf(&tables->operands, "    {%" PRId32 ", %d, ", o->tensor, o->is_output);
        if (o->offset != COSMA_OFFSET_NONE)
            cosma_buf_printf(&tables->operands, "UINT64_C(%" PRIu64 ")},", o->offset);
        else
            cosma_buf_puts(&tables->operands, "COSMA_PLAN_NO_OFFSET},");
        if (o->tensor >= 0) {
            cosma_buf_puts(&tables->operands, " /* ");
            comment_text(&tables->operands, graph->tensors[o->tensor].name);
            cosma_buf_puts(&tables->operands, " */");
        }
        cosma_buf_puts(&tables->operands, "\n");
        tables->n_operands++;
    }
}

static void add_step(tables_t *tables, const cosma_graph_t *graph, const cosma_plan_t *plan,
                     const cosma_event_schedule_t *s, int32_t t)
{
    /* The names the header gives cosma_event_kind_t (COSMA_EVENT_KIND_*). */
    static const char *const enums[] = {"COSMA_EVENT_SPILL", "COSMA_EVENT_DROP", "COSMA_EVENT_LOAD",
                                        "COSMA_EVENT_RUN", "COSMA_EVENT_STORE"};
    cosma_buf_printf(&tables->events, "    /* step %" PRId32 ": ", t);
    comment_text(&tables->events, graph->ops[plan->order[t - 1]].name);
    cosma_buf_puts(&tables->events, " */\n");
    for (int32_t k = s->step_events[t - 1]; k < s->step_events[t]; k++) {
        const cosma_event_t *e = &s->events[k];
        int run = e->kind == COSMA_EVENT_KIND_RUN;
        /* compulsory is documented for loads only (a store always is). */
        int compulsory = e->kind == COSMA_EVENT_KIND_LOAD && e->compulsory;
        cosma_buf_printf(&tables->events, "    {%s, %" PRId32 ", UINT64_C(%" PRIu64 "), UINT64_C(%" PRIu64 "), %d}, /* %s ",
                         enums[e->kind], run ? e->op : e->tensor, e->offset, e->bytes, compulsory,
                         cosma_event_kind_name(e->kind));
        comment_text(&tables->events, run ? graph->ops[e->op].name : graph->tensors[e->tensor].name);
        cosma_buf_puts(&tables->events, " */\n");
        tables->n_events++;
        if (run) {
            add_operands(tables, graph, s->operands + e->operands, e->n_inputs);
            add_operands(tables, graph, s->operands + e->operands + e->n_inputs, e->n_outputs);
        }
    }
    cosma_buf_printf(&tables->step_events, ", %" PRIu32, tables->n_events);
    cosma_buf_printf(&tables->step_operands, ", %" PRIu32, tables->n_operands);
}

static void macro_u64(cosma_buf_t *buf, const char *prefix, const char *name, uint64_t value)
{
    cosma_buf_printf(buf, "#define %s_%s UINT64_C(%" PRIu64 ")\n", prefix, name, value);
}

static cosma_status_t build(const cosma_graph_t *graph, const cosma_plan_t *plan, const cosma_event_schedule_t *schedule,
                            const uint64_t *sizes, cosma_buf_t *out)
{
    char *id = identifier(graph->name != NULL ? graph->name : "");
    char *macro = id != NULL ? malloc(strlen(id) + 1) : NULL;
    if (id == NULL || macro == NULL) {
        free(id);
        return COSMA_ERR_NOMEM;
    }
    for (size_t k = 0; id[k] != '\0'; k++)
        macro[k] = (char)toupper((unsigned char)id[k]);
    macro[strlen(id)] = '\0';

    tables_t tables;
    memset(&tables, 0, sizeof tables);
    cosma_buf_init(&tables.events);
    cosma_buf_init(&tables.operands);
    cosma_buf_init(&tables.step_events);
    cosma_buf_init(&tables.step_operands);
    cosma_status_t status = COSMA_OK;
    for (int32_t t = 1; t <= plan->n_steps; t++)
        add_step(&tables, graph, plan, schedule, t);

    const cosma_traffic_t *tr = &plan->traffic;
    cosma_buf_puts(out, "/* Scratchpad plan for graph \"");
    comment_text(out, graph->name);
    cosma_buf_printf(out, "\" (hash %016" PRIx64 "), generated by cosma %s.\n", cosma_graph_hash(graph),
                     COSMA_VERSION);
    cosma_buf_printf(out,
                     " * Do not edit; regenerate it from the plan.\n"
                     " *\n"
                     " * Layout.  Steps are numbered 1..N as in the plan file (docs/plan-format.md);\n"
                     " * every index is 0-based; operator and tensor indices are positions in the graph.\n"
                     " *   %s_N_STEPS, _N_OPS, _N_TENSORS, _N_EVENTS, _N_OPERANDS: the counts.\n"
                     " *   %s_op_names[op], %s_tensor_names[tensor]: names.\n"
                     " *   %s_tensor_bytes[tensor]: scratchpad bytes, 0 = never resident.\n"
                     " *   %s_schedule[t - 1]: the operator run at step t.\n"
                     " *   %s_events[e]: every event of every step, in execution order; step t's are\n"
                     " *     e = %s_step_events[t - 1] .. %s_step_events[t] - 1.\n"
                     " *   %s_operands[k]: the operands of each step's RUN event, inputs then\n"
                     " *     outputs in the operator's own order; step t's are\n"
                     " *     k = %s_step_operands[t - 1] .. %s_step_operands[t] - 1.\n"
                     " * Inside a step the events come in this order: SPILL (copy the bytes at offset\n"
                     " * to the tensor's host buffer, then free them), DROP (free them), LOAD (copy\n"
                     " * the host buffer in at offset), RUN (index is the operator), STORE (copy a\n"
                     " * graph output to host).  Everything still resident after step N is freed.\n"
                     " * An empty table holds one placeholder entry; the _N_ macros count truly.\n"
                     " */\n",
                     macro, id, id, id, id, id, id, id, id, id, id);
    cosma_buf_printf(out, "#ifndef %s_PLAN_H\n#define %s_PLAN_H\n\n#include <stdint.h>\n\n", macro, macro);
    /* Shared by every generated header, so two plans can live in one program;
     * the text of runtime.h's definition (CMakeLists.txt). */
    cosma_buf_puts(out, COSMA_PLAN_TYPES_TEXT "\n");
    cosma_buf_printf(out, "#define %s_GRAPH_HASH UINT64_C(0x%016" PRIx64 ")\n", macro, cosma_graph_hash(graph));
    cosma_buf_printf(out, "#define %s_STATUS \"%s\"\n#define %s_METHOD ", macro, cosma_plan_status_name(plan->status),
                     macro);
    c_string(out, plan->method != NULL ? plan->method : "");
    cosma_buf_printf(out, "\n#define %s_PARAMS %d\n#define %s_ELEM_BYTES %" PRIu32 "\n", macro,
                     plan->mode.with_params ? 1 : 0, macro, plan->mode.elem_bytes);
    macro_u64(out, macro, "BUDGET_BYTES", plan->budget_bytes);
    cosma_buf_printf(out, "#define %s_N_STEPS %" PRId32 "\n#define %s_N_OPS %" PRId32 "\n#define %s_N_TENSORS %" PRId32
                          "\n#define %s_N_EVENTS %" PRIu32 "\n#define %s_N_OPERANDS %" PRIu32 "\n",
                     macro, plan->n_steps, macro, graph->n_ops, macro, graph->n_tensors, macro, tables.n_events, macro,
                     tables.n_operands);
    macro_u64(out, macro, "SPILL_BYTES", tr->spill_bytes);
    macro_u64(out, macro, "RETRIEVE_BYTES", tr->retrieve_bytes);
    macro_u64(out, macro, "NON_COMPULSORY_BYTES", tr->spill_bytes + tr->retrieve_bytes);
    macro_u64(out, macro, "COMPULSORY_LOAD_BYTES", tr->compulsory_load_bytes);
    macro_u64(out, macro, "COMPULSORY_STORE_BYTES", tr->compulsory_store_bytes);
    macro_u64(out, macro, "COMPULSORY_BYTES", tr->compulsory_load_bytes + tr->compulsory_store_bytes);
    macro_u64(out, macro, "PEAK_BYTES", tr->peak_bytes);
    macro_u64(out, macro, "LOWER_BOUND_BYTES", plan->lower_bound_bytes);

    cosma_buf_printf(out, "\nstatic const char *const %s_op_names[%" PRId32 "] = {\n", id, graph->n_ops);
    for (int32_t o = 0; o < graph->n_ops; o++) {
        cosma_buf_puts(out, "    ");
        c_string(out, graph->ops[o].name);
        cosma_buf_puts(out, ",\n");
    }
    cosma_buf_printf(out, "};\n\nstatic const int32_t %s_schedule[%" PRId32 "] = {", id,
                     plan->n_steps > 0 ? plan->n_steps : 1);
    for (int32_t t = 0; t < plan->n_steps; t++)
        cosma_buf_printf(out, "%s %" PRId32 ",", t % 16 == 0 ? "\n   " : "", plan->order[t]);
    if (plan->n_steps == 0)
        cosma_buf_puts(out, "\n    -1 /* placeholder */");
    cosma_buf_printf(out, "\n};\n\nstatic const char *const %s_tensor_names[%" PRId32 "] = {\n", id, graph->n_tensors);
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        cosma_buf_puts(out, "    ");
        c_string(out, graph->tensors[t].name);
        cosma_buf_puts(out, ",\n");
    }
    cosma_buf_printf(out, "};\n\nstatic const uint64_t %s_tensor_bytes[%" PRId32 "] = {\n", id, graph->n_tensors);
    for (int32_t t = 0; t < graph->n_tensors; t++)
        cosma_buf_printf(out, "    UINT64_C(%" PRIu64 "),\n", sizes[t]);
    cosma_buf_printf(out, "};\n\nstatic const cosma_plan_event_t %s_events[%" PRIu32 "] = {\n", id,
                     tables.n_events > 0 ? tables.n_events : 1);
    if (tables.n_events == 0)
        cosma_buf_puts(out, "    {COSMA_EVENT_RUN, -1, UINT64_C(0), UINT64_C(0), 0}, /* placeholder */\n");
    else
        cosma_buf_append(out, tables.events.data, tables.events.length);
    cosma_buf_printf(out, "};\n\nstatic const uint32_t %s_step_events[%" PRId32 "] = {0", id, plan->n_steps + 1);
    if (tables.step_events.length > 0)
        cosma_buf_append(out, tables.step_events.data, tables.step_events.length);
    cosma_buf_printf(out, "};\n\nstatic const cosma_plan_operand_t %s_operands[%" PRIu32 "] = {\n", id,
                     tables.n_operands > 0 ? tables.n_operands : 1);
    if (tables.n_operands == 0)
        cosma_buf_puts(out, "    {-1, 0, COSMA_PLAN_NO_OFFSET}, /* placeholder */\n");
    else
        cosma_buf_append(out, tables.operands.data, tables.operands.length);
    cosma_buf_printf(out, "};\n\nstatic const uint32_t %s_step_operands[%" PRId32 "] = {0", id, plan->n_steps + 1);
    if (tables.step_operands.length > 0)
        cosma_buf_append(out, tables.step_operands.data, tables.step_operands.length);
    cosma_buf_printf(out, "};\n\n#endif /* %s_PLAN_H */\n", macro);
    if (tables.events.failed || tables.operands.failed || tables.step_events.failed || tables.step_operands.failed ||
        out->failed)
        status = COSMA_ERR_NOMEM;
    cosma_buf_free(&tables.events);
    cosma_buf_free(&tables.operands);
    cosma_buf_free(&tables.step_events);
    cosma_buf_free(&tables.step_operands);
    free(id);
    free(macro);
    return status;
}

cosma_status_t cosma_codegen_write_c_header(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                            const char *path, cosma_diag_t *diag)
{
    if (graph == NULL || plan == NULL || path == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "C header writer: no graph, plan or path given");
        return COSMA_ERR_USAGE;
    }
    cosma_buf_t out;
    cosma_buf_init(&out);
    cosma_event_schedule_t *schedule = NULL;
    uint64_t *sizes = malloc(((size_t)graph->n_tensors + 1) * sizeof(uint64_t));
    cosma_status_t status = sizes == NULL ? COSMA_ERR_NOMEM : cosma_schedule_build(graph, plan, &schedule, NULL);
    int foreign = plan->graph_hash != 0 && plan->graph_hash != cosma_graph_hash(graph);
    if (status == COSMA_ERR_USAGE || status == COSMA_ERR_INPUT || (status == COSMA_OK && foreign)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "C header writer: the plan does not belong to graph '%s' (its steps, operators or "
                          "intervals are out of range)",
                          graph->name);
        status = COSMA_ERR_USAGE;
    }
    if (status == COSMA_OK)
        status = cosma_graph_sizes(graph, &plan->mode, sizes, diag);
    if (status == COSMA_OK)
        status = build(graph, plan, schedule, sizes, &out);
    if (status == COSMA_OK)
        status = cosma_file_write_atomic(path, out.data, out.length, diag);
    else if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while writing C header '%s'", path);
    cosma_schedule_free(schedule);
    cosma_buf_free(&out);
    free(sizes);
    return status;
}
