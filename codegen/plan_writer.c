/* plan_writer.c: the plan file writer.  The file is the contract with the
 * runtime (docs/plan-format.md): deterministic JSON, byte-identical for the
 * same graph and plan, with the per-step events (from ir's event schedule,
 * cosma_schedule_build) spelled out so a runtime never has to re-derive
 * them from the intervals. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/codegen.h>

/* Every integer in the file must survive a trip through an IEEE double
 * (cJSON and most JSON readers), so the writer refuses larger values. */
#define PLAN_MAX_INTEGER UINT64_C(9007199254740991)

static cosma_status_t check_plan(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_diag_t *diag)
{
    if (graph == NULL || plan == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan writer: no graph or no plan given");
        return COSMA_ERR_USAGE;
    }
    if (!graph->finalized) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan writer: graph '%s' is not finalized", graph->name);
        return COSMA_ERR_USAGE;
    }
    uint64_t hash = cosma_graph_hash(graph);
    if (plan->graph_hash != 0 && plan->graph_hash != hash) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "plan was made for graph '%s' (hash %016" PRIx64 "), not for graph '%s' (hash %016" PRIx64
                          ")",
                          plan->graph_name != NULL ? plan->graph_name : "", plan->graph_hash, graph->name, hash);
        return COSMA_ERR_USAGE;
    }
    if (plan->n_intervals > 0 && plan->intervals == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan has no interval array");
        return COSMA_ERR_USAGE;
    }
    /* Structure (order, steps, tensors) is cosma_schedule_build's to check. */
    for (int32_t i = 0; i < plan->n_intervals; i++)
        if (plan->intervals[i].offset > PLAN_MAX_INTEGER || plan->intervals[i].bytes > PLAN_MAX_INTEGER) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "plan interval %" PRId32 ": its offset or size is beyond 2^53 - 1",
                              i);
            return COSMA_ERR_USAGE;
        }
    const cosma_traffic_t *tr = &plan->traffic;
    if (plan->budget_bytes > PLAN_MAX_INTEGER || plan->lower_bound_bytes > PLAN_MAX_INTEGER ||
        tr->spill_bytes > PLAN_MAX_INTEGER || tr->retrieve_bytes > PLAN_MAX_INTEGER ||
        tr->spill_bytes + tr->retrieve_bytes > PLAN_MAX_INTEGER || tr->compulsory_load_bytes > PLAN_MAX_INTEGER ||
        tr->compulsory_store_bytes > PLAN_MAX_INTEGER ||
        tr->compulsory_load_bytes + tr->compulsory_store_bytes > PLAN_MAX_INTEGER || tr->peak_bytes > PLAN_MAX_INTEGER) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan: a budget, bound or traffic total is beyond 2^53 - 1 bytes");
        return COSMA_ERR_USAGE;
    }
    if (plan->status != COSMA_PLAN_OPTIMAL && plan->status != COSMA_PLAN_FEASIBLE &&
        plan->status != COSMA_PLAN_INFEASIBLE) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan: unknown status %d", (int)plan->status);
        return COSMA_ERR_USAGE;
    }
    return COSMA_OK;
}

static void emit_copy(cosma_buf_t *buf, int *count, const cosma_graph_t *graph, const cosma_event_t *e)
{
    cosma_buf_puts(buf, *count > 0 ? ",\n      {\"" : "      {\"");
    cosma_buf_puts(buf, cosma_event_kind_name(e->kind));
    cosma_buf_puts(buf, "\": ");
    cosma_buf_json_string(buf, graph->tensors[e->tensor].name);
    cosma_buf_printf(buf, ", \"offset\": %" PRIu64 ", \"bytes\": %" PRIu64, e->offset, e->bytes);
    /* A store is always compulsory: only loads say so. */
    if (e->kind == COSMA_EVENT_KIND_LOAD && e->compulsory)
        cosma_buf_puts(buf, ", \"compulsory\": true");
    cosma_buf_puts(buf, "}");
    (*count)++;
}

static void emit_operands(cosma_buf_t *buf, const cosma_graph_t *graph, const cosma_operand_t *operands, int32_t count)
{
    cosma_buf_puts(buf, "[");
    for (int32_t k = 0; k < count; k++) {
        cosma_buf_puts(buf, k > 0 ? ", {\"tensor\": " : "{\"tensor\": ");
        const cosma_operand_t *o = &operands[k];
        if (o->tensor >= 0)
            cosma_buf_json_string(buf, graph->tensors[o->tensor].name);
        else
            cosma_buf_puts(buf, "null");
        if (o->offset != COSMA_OFFSET_NONE)
            cosma_buf_printf(buf, ", \"offset\": %" PRIu64 "}", o->offset);
        else
            cosma_buf_puts(buf, ", \"offset\": null}");
    }
    cosma_buf_puts(buf, "]");
}

static void emit_run(cosma_buf_t *buf, int *count, const cosma_graph_t *graph, const cosma_event_schedule_t *s,
                     const cosma_event_t *e)
{
    cosma_buf_puts(buf, *count > 0 ? ",\n      {\"run\": " : "      {\"run\": ");
    (*count)++;
    cosma_buf_json_string(buf, graph->ops[e->op].name);
    cosma_buf_puts(buf, ", \"inputs\": ");
    emit_operands(buf, graph, s->operands + e->operands, e->n_inputs);
    cosma_buf_puts(buf, ", \"outputs\": ");
    emit_operands(buf, graph, s->operands + e->operands + e->n_inputs, e->n_outputs);
    cosma_buf_puts(buf, "}");
}

static void emit_step(cosma_buf_t *buf, const cosma_graph_t *graph, const cosma_plan_t *plan,
                      const cosma_event_schedule_t *s, int32_t t)
{
    int count = 0;
    cosma_buf_printf(buf, "    {\"step\": %" PRId32 ", \"operator\": ", t);
    cosma_buf_json_string(buf, graph->ops[plan->order[t - 1]].name);
    cosma_buf_puts(buf, ", \"events\": [\n");
    for (int32_t k = s->step_events[t - 1]; k < s->step_events[t]; k++) {
        const cosma_event_t *e = &s->events[k];
        if (e->kind == COSMA_EVENT_KIND_RUN)
            emit_run(buf, &count, graph, s, e);
        else
            emit_copy(buf, &count, graph, e);
    }
    cosma_buf_puts(buf, "\n    ]}");
}

static cosma_status_t emit(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_buf_t *buf,
                           cosma_diag_t *diag)
{
    cosma_status_t status = check_plan(graph, plan, diag);
    if (status != COSMA_OK)
        return status;
    cosma_event_schedule_t *schedule = NULL;
    /* A plan the schedule cannot take is the caller's mistake here. */
    if ((status = cosma_schedule_build(graph, plan, &schedule, diag)) != COSMA_OK)
        return status == COSMA_ERR_INPUT ? COSMA_ERR_USAGE : status;

    cosma_buf_puts(buf, "{\n  \"format\": \"cosma-plan\",\n");
    cosma_buf_printf(buf, "  \"version\": %d,\n", COSMA_PLAN_FORMAT_VERSION);
    cosma_buf_puts(buf, "  \"graph\": {\"name\": ");
    cosma_buf_json_string(buf, graph->name != NULL ? graph->name : "");
    cosma_buf_printf(buf, ", \"hash\": \"%016" PRIx64 "\", \"operators\": %" PRId32 ", \"tensors\": %" PRId32 "},\n",
                     cosma_graph_hash(graph), graph->n_ops, graph->n_tensors);
    cosma_buf_printf(buf, "  \"budget_bytes\": %" PRIu64 ",\n", plan->budget_bytes);
    cosma_buf_printf(buf, "  \"mode\": {\"params\": %s, \"elem_bytes\": %" PRIu32 "},\n",
                     plan->mode.with_params ? "true" : "false", plan->mode.elem_bytes);
    cosma_buf_printf(buf, "  \"status\": \"%s\",\n", cosma_plan_status_name(plan->status));
    cosma_buf_puts(buf, "  \"method\": ");
    cosma_buf_json_string(buf, plan->method != NULL ? plan->method : "");
    cosma_buf_printf(buf, ",\n  \"lower_bound_bytes\": %" PRIu64 ",\n", plan->lower_bound_bytes);

    cosma_buf_puts(buf, "  \"schedule\": [");
    for (int32_t t = 0; t < plan->n_steps; t++) {
        if (t > 0)
            cosma_buf_puts(buf, ", ");
        cosma_buf_json_string(buf, graph->ops[plan->order[t]].name);
    }
    cosma_buf_puts(buf, "],\n");

    cosma_buf_puts(buf, plan->n_steps > 0 ? "  \"steps\": [\n" : "  \"steps\": [");
    for (int32_t t = 1; t <= plan->n_steps; t++) {
        emit_step(buf, graph, plan, schedule, t);
        cosma_buf_puts(buf, t < plan->n_steps ? ",\n" : "\n  ");
    }
    cosma_buf_puts(buf, "],\n");

    int32_t n = schedule->n_intervals;
    cosma_buf_puts(buf, n > 0 ? "  \"intervals\": [\n" : "  \"intervals\": [");
    for (int32_t i = 0; i < n; i++) {
        const cosma_interval_t *iv = &schedule->intervals[i];
        cosma_buf_puts(buf, "    {\"tensor\": ");
        cosma_buf_json_string(buf, graph->tensors[iv->tensor].name);
        cosma_buf_printf(buf,
                         ", \"first\": %" PRId32 ", \"last\": %" PRId32 ", \"offset\": %" PRIu64 ", \"bytes\": %" PRIu64
                         ", \"begin\": \"%s\", \"end\": \"%s\"}%s",
                         iv->first, iv->last, iv->offset, iv->bytes, iv->begin == COSMA_BEGIN_LOAD ? "load" : "create",
                         iv->end == COSMA_END_SPILL ? "spill" : "drop", i + 1 < n ? ",\n" : "\n  ");
    }
    cosma_buf_puts(buf, "],\n");

    const cosma_traffic_t *tr = &plan->traffic;
    cosma_buf_printf(buf,
                     "  \"totals\": {\n"
                     "    \"spill_bytes\": %" PRIu64 ",\n"
                     "    \"retrieve_bytes\": %" PRIu64 ",\n"
                     "    \"non_compulsory_bytes\": %" PRIu64 ",\n"
                     "    \"compulsory_load_bytes\": %" PRIu64 ",\n"
                     "    \"compulsory_store_bytes\": %" PRIu64 ",\n"
                     "    \"compulsory_bytes\": %" PRIu64 ",\n"
                     "    \"peak_bytes\": %" PRIu64 "\n"
                     "  }\n}\n",
                     tr->spill_bytes, tr->retrieve_bytes, tr->spill_bytes + tr->retrieve_bytes,
                     tr->compulsory_load_bytes, tr->compulsory_store_bytes,
                     tr->compulsory_load_bytes + tr->compulsory_store_bytes, tr->peak_bytes);
    cosma_schedule_free(schedule);
    return buf->failed ? COSMA_ERR_NOMEM : COSMA_OK;
}

cosma_status_t cosma_codegen_emit_plan(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_buf_t *buf)
{
    if (buf == NULL)
        return COSMA_ERR_USAGE;
    return emit(graph, plan, buf, NULL);
}

cosma_status_t cosma_codegen_write_plan(const cosma_graph_t *graph, const cosma_plan_t *plan, const char *path,
                                        cosma_diag_t *diag)
{
    if (path == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan writer: no output path given");
        return COSMA_ERR_USAGE;
    }
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    cosma_status_t status = emit(graph, plan, &buf, diag);
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while writing plan '%s'", path);
    if (status == COSMA_OK)
        status = cosma_file_write_atomic(path, buf.data, buf.length, diag);
    cosma_buf_free(&buf);
    return status;
}
