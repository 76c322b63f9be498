/* plan_writer.c: the plan file writer.  The file is the contract with the
 * runtime (docs/plan-format.md): deterministic JSON, byte-identical for the
 * same graph and plan, with the per-step events spelled out so a runtime
 * never has to re-derive them from the intervals. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/codegen.h>

/* Every integer in the file must survive a trip through an IEEE double
 * (cJSON and most JSON readers), so the writer refuses larger values. */
#define PLAN_MAX_INTEGER UINT64_C(9007199254740991)

/* The plan's intervals in canonical order, bucketed three ways. */
typedef struct {
    const cosma_graph_t *graph;
    const cosma_plan_t *plan;
    cosma_interval_t *iv;  /* canonical copy */
    int32_t n;
    int32_t *starting;     /* interval indices by first step; bucket t at [start_at[t], start_at[t+1]) */
    int32_t *start_at;     /* n_steps + 2 */
    int32_t *ending;       /* by last step, each bucket by (tensor, offset) */
    int32_t *end_at;
    int32_t *of_tensor;    /* by tensor, each bucket by first step */
    int32_t *tensor_at;    /* n_tensors + 1 */
    unsigned char *compulsory; /* per interval: the first load of an input or param */
} layout_t;

static void layout_free(layout_t *layout)
{
    free(layout->iv);
    free(layout->starting);
    free(layout->start_at);
    free(layout->ending);
    free(layout->end_at);
    free(layout->of_tensor);
    free(layout->tensor_at);
    free(layout->compulsory);
    memset(layout, 0, sizeof *layout);
}

/* Counting sort of interval indices by key (stable, so canonical order
 * survives inside each bucket). */
static void bucket(const layout_t *layout, int32_t n_keys, int which, int32_t *fill, int32_t *out_items,
                   int32_t *out_at)
{
    for (int32_t k = 0; k <= n_keys; k++)
        out_at[k] = 0;
    for (int32_t i = 0; i < layout->n; i++) {
        const cosma_interval_t *iv = &layout->iv[i];
        int32_t key = which == 0 ? iv->first : which == 1 ? iv->last : iv->tensor;
        out_at[key + 1]++;
    }
    for (int32_t k = 0; k < n_keys; k++)
        out_at[k + 1] += out_at[k];
    memcpy(fill, out_at, ((size_t)n_keys + 1) * sizeof(int32_t));
    for (int32_t i = 0; i < layout->n; i++) {
        const cosma_interval_t *iv = &layout->iv[i];
        int32_t key = which == 0 ? iv->first : which == 1 ? iv->last : iv->tensor;
        out_items[fill[key]++] = i;
    }
}

/* Within a bucket of ends, events go by (tensor, offset, canonical index)
 * like the other buckets.  A heap sort: no allocation, and a hand-made
 * plan with every interval ending at one step stays O(n log n). */
static int end_before(const layout_t *layout, int32_t a, int32_t b)
{
    const cosma_interval_t *x = &layout->iv[a], *y = &layout->iv[b];
    if (x->tensor != y->tensor)
        return x->tensor < y->tensor;
    if (x->offset != y->offset)
        return x->offset < y->offset;
    return a < b;
}

static void sift_down(const layout_t *layout, int32_t *items, int32_t root, int32_t count)
{
    for (int32_t child; (child = 2 * root + 1) < count; root = child) {
        if (child + 1 < count && end_before(layout, items[child], items[child + 1]))
            child++;
        if (!end_before(layout, items[root], items[child]))
            return;
        int32_t swap = items[root];
        items[root] = items[child];
        items[child] = swap;
    }
}

static void sort_by_tensor(const layout_t *layout, int32_t *items, int32_t count)
{
    for (int32_t root = count / 2 - 1; root >= 0; root--)
        sift_down(layout, items, root, count);
    for (int32_t end = count - 1; end > 0; end--) {
        int32_t swap = items[0];
        items[0] = items[end];
        items[end] = swap;
        sift_down(layout, items, 0, end);
    }
}

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
    if (plan->n_steps != 0 && plan->n_steps != graph->n_ops) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan has %" PRId32 " steps but graph '%s' has %" PRId32 " operators",
                          plan->n_steps, graph->name, graph->n_ops);
        return COSMA_ERR_USAGE;
    }
    if (plan->n_intervals < 0 || (plan->n_intervals > 0 && plan->intervals == NULL) ||
        (plan->n_steps > 0 && plan->order == NULL)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan has no interval or order array");
        return COSMA_ERR_USAGE;
    }
    unsigned char *seen = calloc((size_t)graph->n_ops + 1, 1);
    if (seen == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t t = 0; t < plan->n_steps; t++) {
        int32_t op = plan->order[t];
        if (op < 0 || op >= graph->n_ops || seen[op]) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "plan step %" PRId32 ": operator index %" PRId32 " is %s", t + 1,
                              op, op < 0 || op >= graph->n_ops ? "out of range" : "scheduled twice");
            free(seen);
            return COSMA_ERR_USAGE;
        }
        seen[op] = 1;
    }
    free(seen);
    for (int32_t i = 0; i < plan->n_intervals; i++) {
        const cosma_interval_t *iv = &plan->intervals[i];
        const char *problem = NULL;
        if (iv->tensor < 0 || iv->tensor >= graph->n_tensors)
            problem = "its tensor index is out of range";
        else if (iv->first < 1 || iv->last < iv->first || iv->last > plan->n_steps)
            problem = "its steps are out of range";
        else if ((iv->begin != COSMA_BEGIN_CREATE && iv->begin != COSMA_BEGIN_LOAD) ||
                 (iv->end != COSMA_END_DROP && iv->end != COSMA_END_SPILL))
            problem = "it begins or ends in an unknown way";
        else if (iv->offset > PLAN_MAX_INTEGER || iv->bytes > PLAN_MAX_INTEGER)
            problem = "its offset or size is beyond 2^53 - 1";
        if (problem != NULL) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "plan interval %" PRId32 ": %s", i, problem);
            return COSMA_ERR_USAGE;
        }
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

static cosma_status_t layout_build(const cosma_graph_t *graph, const cosma_plan_t *plan, layout_t *layout)
{
    memset(layout, 0, sizeof *layout);
    layout->graph = graph;
    layout->plan = plan;
    layout->n = plan->n_intervals;
    size_t n = (size_t)plan->n_intervals + 1, steps = (size_t)plan->n_steps + 2;
    layout->iv = malloc(n * sizeof(cosma_interval_t));
    layout->starting = malloc(n * sizeof(int32_t));
    layout->start_at = malloc(steps * sizeof(int32_t));
    layout->ending = malloc(n * sizeof(int32_t));
    layout->end_at = malloc(steps * sizeof(int32_t));
    layout->of_tensor = malloc(n * sizeof(int32_t));
    layout->tensor_at = malloc(((size_t)graph->n_tensors + 1) * sizeof(int32_t));
    layout->compulsory = calloc(n, 1);
    unsigned char *loaded = calloc((size_t)graph->n_tensors + 1, 1);
    size_t n_keys = (size_t)(plan->n_steps + 2 > graph->n_tensors + 1 ? plan->n_steps + 2 : graph->n_tensors + 1);
    int32_t *fill = malloc(n_keys * sizeof(int32_t));
    if (layout->iv == NULL || layout->starting == NULL || layout->start_at == NULL || layout->ending == NULL ||
        layout->end_at == NULL || layout->of_tensor == NULL || layout->tensor_at == NULL ||
        layout->compulsory == NULL || loaded == NULL || fill == NULL) {
        free(loaded);
        free(fill);
        layout_free(layout);
        return COSMA_ERR_NOMEM;
    }
    if (plan->n_intervals > 0)
        memcpy(layout->iv, plan->intervals, (size_t)plan->n_intervals * sizeof(cosma_interval_t));
    /* The ir's own sort defines the canonical order; borrow it on a copy. */
    cosma_plan_t canonical = *plan;
    canonical.intervals = layout->iv;
    cosma_plan_sort_intervals(&canonical);

    bucket(layout, plan->n_steps + 1, 0, fill, layout->starting, layout->start_at);
    bucket(layout, plan->n_steps + 1, 1, fill, layout->ending, layout->end_at);
    bucket(layout, graph->n_tensors, 2, fill, layout->of_tensor, layout->tensor_at);
    free(fill);
    for (int32_t t = 0; t <= plan->n_steps; t++)
        sort_by_tensor(layout, layout->ending + layout->end_at[t], layout->end_at[t + 1] - layout->end_at[t]);
    /* Same rule as cosma_plan_compute_traffic: in canonical order, the first
     * load of an input or param is the compulsory one. */
    for (int32_t i = 0; i < layout->n; i++) {
        const cosma_interval_t *iv = &layout->iv[i];
        cosma_tensor_kind_t kind = graph->tensors[iv->tensor].kind;
        if (iv->begin == COSMA_BEGIN_LOAD && (kind == COSMA_TENSOR_INPUT || kind == COSMA_TENSOR_PARAM) &&
            !loaded[iv->tensor]) {
            loaded[iv->tensor] = 1;
            layout->compulsory[i] = 1;
        }
    }
    free(loaded);
    return COSMA_OK;
}

/* The interval holding tensor at step t, or -1. */
static int32_t resident_at(const layout_t *layout, int32_t tensor, int32_t t)
{
    for (int32_t k = layout->tensor_at[tensor]; k < layout->tensor_at[tensor + 1]; k++) {
        const cosma_interval_t *iv = &layout->iv[layout->of_tensor[k]];
        if (iv->first <= t && t <= iv->last)
            return layout->of_tensor[k];
    }
    return -1;
}

static void emit_event(cosma_buf_t *buf, int *count, const char *kind, const layout_t *layout, int32_t i)
{
    const cosma_interval_t *iv = &layout->iv[i];
    cosma_buf_puts(buf, *count > 0 ? ",\n      {\"" : "      {\"");
    cosma_buf_puts(buf, kind);
    cosma_buf_puts(buf, "\": ");
    cosma_buf_json_string(buf, layout->graph->tensors[iv->tensor].name);
    cosma_buf_printf(buf, ", \"offset\": %" PRIu64 ", \"bytes\": %" PRIu64, iv->offset, iv->bytes);
    if (layout->compulsory[i] && strcmp(kind, "load") == 0)
        cosma_buf_puts(buf, ", \"compulsory\": true");
    cosma_buf_puts(buf, "}");
    (*count)++;
}

static void emit_operands(cosma_buf_t *buf, const layout_t *layout, const int32_t *tensors, int32_t count, int32_t t)
{
    cosma_buf_puts(buf, "[");
    for (int32_t k = 0; k < count; k++) {
        cosma_buf_puts(buf, k > 0 ? ", {\"tensor\": " : "{\"tensor\": ");
        int32_t tensor = tensors[k];
        int32_t where = tensor >= 0 && tensor < layout->graph->n_tensors ? resident_at(layout, tensor, t) : -1;
        if (tensor >= 0 && tensor < layout->graph->n_tensors)
            cosma_buf_json_string(buf, layout->graph->tensors[tensor].name);
        else
            cosma_buf_puts(buf, "null");
        if (where >= 0)
            cosma_buf_printf(buf, ", \"offset\": %" PRIu64 "}", layout->iv[where].offset);
        else
            cosma_buf_puts(buf, ", \"offset\": null}");
    }
    cosma_buf_puts(buf, "]");
}

static void emit_step(cosma_buf_t *buf, const layout_t *layout, int32_t t)
{
    const cosma_graph_t *graph = layout->graph;
    const cosma_op_t *op = &graph->ops[layout->plan->order[t - 1]];
    int count = 0;
    cosma_buf_printf(buf, "    {\"step\": %" PRId32 ", \"operator\": ", t);
    cosma_buf_json_string(buf, op->name);
    cosma_buf_puts(buf, ", \"events\": [\n");
    /* Ends happen at the start of the step after an interval's last one. */
    for (int pass = 0; pass < 2; pass++)
        for (int32_t k = layout->end_at[t - 1]; k < layout->end_at[t]; k++) {
            int32_t i = layout->ending[k];
            cosma_end_t want = pass == 0 ? COSMA_END_SPILL : COSMA_END_DROP;
            if (layout->iv[i].end == want)
                emit_event(buf, &count, pass == 0 ? "spill" : "drop", layout, i);
        }
    for (int32_t k = layout->start_at[t]; k < layout->start_at[t + 1]; k++) {
        int32_t i = layout->starting[k];
        if (layout->iv[i].begin == COSMA_BEGIN_LOAD)
            emit_event(buf, &count, "load", layout, i);
    }
    cosma_buf_puts(buf, count > 0 ? ",\n      {\"run\": " : "      {\"run\": ");
    count++;
    cosma_buf_json_string(buf, op->name);
    cosma_buf_puts(buf, ", \"inputs\": ");
    emit_operands(buf, layout, op->inputs, op->n_inputs, t);
    cosma_buf_puts(buf, ", \"outputs\": ");
    emit_operands(buf, layout, op->outputs, op->n_outputs, t);
    cosma_buf_puts(buf, "}");
    for (int32_t k = layout->start_at[t]; k < layout->start_at[t + 1]; k++) {
        int32_t i = layout->starting[k];
        const cosma_interval_t *iv = &layout->iv[i];
        if (iv->begin == COSMA_BEGIN_CREATE && graph->tensors[iv->tensor].kind == COSMA_TENSOR_OUTPUT)
            emit_event(buf, &count, "store", layout, i);
    }
    cosma_buf_puts(buf, "\n    ]}");
}

static cosma_status_t emit(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_buf_t *buf,
                           cosma_diag_t *diag)
{
    cosma_status_t status = check_plan(graph, plan, diag);
    if (status != COSMA_OK)
        return status;
    layout_t layout;
    if ((status = layout_build(graph, plan, &layout)) != COSMA_OK)
        return status;

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
        emit_step(buf, &layout, t);
        cosma_buf_puts(buf, t < plan->n_steps ? ",\n" : "\n  ");
    }
    cosma_buf_puts(buf, "],\n");

    cosma_buf_puts(buf, layout.n > 0 ? "  \"intervals\": [\n" : "  \"intervals\": [");
    for (int32_t i = 0; i < layout.n; i++) {
        const cosma_interval_t *iv = &layout.iv[i];
        cosma_buf_puts(buf, "    {\"tensor\": ");
        cosma_buf_json_string(buf, graph->tensors[iv->tensor].name);
        cosma_buf_printf(buf,
                         ", \"first\": %" PRId32 ", \"last\": %" PRId32 ", \"offset\": %" PRIu64 ", \"bytes\": %" PRIu64
                         ", \"begin\": \"%s\", \"end\": \"%s\"}%s",
                         iv->first, iv->last, iv->offset, iv->bytes, iv->begin == COSMA_BEGIN_LOAD ? "load" : "create",
                         iv->end == COSMA_END_SPILL ? "spill" : "drop", i + 1 < layout.n ? ",\n" : "\n  ");
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
    layout_free(&layout);
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
