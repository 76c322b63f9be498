/* summary.c: the machine-readable one-object summary of a plan, for
 * scripts and the benchmark tables (docs/plan-format.md, "Summary"). */
#include <inttypes.h>
#include <math.h>

#include <cosma/codegen.h>

static void key_u64(cosma_buf_t *buf, const char *key, uint64_t value, int meaningful)
{
    if (meaningful)
        cosma_buf_printf(buf, "  \"%s\": %" PRIu64 ",\n", key, value);
    else
        cosma_buf_printf(buf, "  \"%s\": null,\n", key);
}

cosma_status_t cosma_codegen_emit_summary(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_buf_t *buf)
{
    if (plan == NULL || buf == NULL)
        return COSMA_ERR_USAGE;
    /* An infeasible plan has no traffic: its totals are null rather than
     * zeros a script could mistake for a perfect plan. */
    int feasible = plan->status != COSMA_PLAN_INFEASIBLE;
    const cosma_traffic_t *tr = &plan->traffic;
    uint64_t non_compulsory = tr->spill_bytes + tr->retrieve_bytes;
    uint64_t compulsory = tr->compulsory_load_bytes + tr->compulsory_store_bytes;
    const char *name = graph != NULL ? graph->name : plan->graph_name;

    cosma_buf_printf(buf, "{\n  \"status\": \"%s\",\n  \"method\": ", cosma_plan_status_name(plan->status));
    cosma_buf_json_string(buf, plan->method != NULL ? plan->method : "");
    cosma_buf_puts(buf, ",\n  \"graph\": ");
    cosma_buf_json_string(buf, name != NULL ? name : "");
    cosma_buf_printf(buf, ",\n  \"budget_bytes\": %" PRIu64 ",\n", plan->budget_bytes);
    cosma_buf_printf(buf, "  \"params\": %s,\n", plan->mode.with_params ? "true" : "false");
    cosma_buf_printf(buf, "  \"elem_bytes\": %" PRIu32 ",\n", plan->mode.elem_bytes);
    key_u64(buf, "non_compulsory_bytes", non_compulsory, feasible);
    key_u64(buf, "spill_bytes", tr->spill_bytes, feasible);
    key_u64(buf, "retrieve_bytes", tr->retrieve_bytes, feasible);
    key_u64(buf, "compulsory_bytes", compulsory, feasible);
    key_u64(buf, "compulsory_load_bytes", tr->compulsory_load_bytes, feasible);
    key_u64(buf, "compulsory_store_bytes", tr->compulsory_store_bytes, feasible);
    key_u64(buf, "lower_bound_bytes", plan->lower_bound_bytes, 1);
    if (!feasible) {
        cosma_buf_puts(buf, "  \"gap\": null,\n");
    } else {
        /* Relative to the plan's own traffic, so 0 means proven optimal and
         * 1 means no useful bound. */
        double gap = non_compulsory == 0 ? 0.0
                                         : ((double)non_compulsory - (double)plan->lower_bound_bytes) /
                                               (double)non_compulsory;
        cosma_buf_printf(buf, "  \"gap\": %.6g,\n", gap);
    }
    key_u64(buf, "peak_bytes", tr->peak_bytes, feasible);
    if (isfinite(plan->solve_seconds) && plan->solve_seconds >= 0.0)
        cosma_buf_printf(buf, "  \"solve_seconds\": %.3f,\n", plan->solve_seconds);
    else
        cosma_buf_puts(buf, "  \"solve_seconds\": null,\n");
    cosma_buf_printf(buf, "  \"search\": \"%s\",\n", cosma_stop_name(plan->stopped));
    cosma_buf_printf(buf, "  \"steps\": %" PRId32 ",\n  \"intervals\": %" PRId32 "\n}\n", plan->n_steps,
                     plan->n_intervals);
    return buf->failed ? COSMA_ERR_NOMEM : COSMA_OK;
}
