/* report.c: plan versus actual for the last run: per step and in total the
 * planned and actual bytes each way, copies, copy and kernel time, achieved
 * bandwidth and the cost model's prediction, as JSON, a Markdown summary
 * and an SVG timeline (upload, kernel and download lanes). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

#define BIG_COPY_BYTES (1u << 20) /* "copies of 1 MiB or more" */
#define SVG_WIDTH 1600
#define SVG_HEIGHT 420
#define SVG_LEFT 110
#define SVG_RIGHT 30
#define SVG_LANE_TOP 60
#define SVG_LANE_HEIGHT 90

typedef struct {
    uint64_t planned[2], actual[2]; /* [0] h2d, [1] d2h */
    int64_t copies[2];
    double copy_seconds[2], kernel_seconds;
    double predicted_start, predicted_end;
} step_figures_t;

typedef struct {
    step_figures_t total;
    step_figures_t *steps;    /* n_steps + 1, 1-based */
    rt_trace_node_t *predicted;
    double predicted_seconds, lower_bound_seconds;
    int64_t n_big;            /* copies >= 1 MiB */
    int64_t n_big_90;         /* of those, at >= 90% of the calibrated bandwidth */
    int64_t n_big_90_model;   /* of those, at >= 90% of the model's rate for their size */
    int64_t n_waits;          /* cross-lane waits */
    double big_min_ratio, big_mean_ratio; /* achieved / calibrated bandwidth */
    int bytes_match;
    int32_t first_mismatch; /* node, or -1 */
} figures_t;

static int direction_of(const rt_node_t *node)
{
    return node->kind == RT_NODE_LOAD ? 0 : node->kind == RT_NODE_SPILL || node->kind == RT_NODE_STORE ? 1 : -1;
}

static double node_seconds(const rt_trace_node_t *t)
{
    return t->measured ? fmax(0.0, t->end - t->start) : 0.0;
}

static void add_node(figures_t *f, const cosma_runtime_t *rt, const cosma_cost_model_t *m, int32_t n)
{
    const rt_node_t *node = &rt->deps.nodes[n];
    const rt_trace_node_t *t = &rt->trace.nodes[n];
    step_figures_t *s = &f->steps[node->step];
    int d = direction_of(node);
    if (d < 0) {
        s->kernel_seconds += node_seconds(t);
        f->total.kernel_seconds += node_seconds(t);
    } else {
        step_figures_t *both[2] = {s, &f->total};
        for (int k = 0; k < 2; k++) {
            both[k]->planned[d] += node->bytes;
            both[k]->actual[d] += t->bytes;
            both[k]->copies[d]++;
            both[k]->copy_seconds[d] += node_seconds(t);
        }
        if (t->bytes != node->bytes && f->bytes_match) {
            f->bytes_match = 0;
            f->first_mismatch = n;
        }
        double bw = d == 0 ? m->h2d_bytes_per_second : m->d2h_bytes_per_second;
        double latency = d == 0 ? m->h2d_latency_seconds : m->d2h_latency_seconds;
        if (node->bytes >= BIG_COPY_BYTES && node_seconds(t) > 0) {
            double ratio = (double)t->bytes / node_seconds(t) / bw;
            f->n_big_90_model += (latency + (double)node->bytes / bw) / node_seconds(t) >= 0.9;
            f->big_min_ratio = f->n_big == 0 ? ratio : fmin(f->big_min_ratio, ratio);
            f->big_mean_ratio += ratio;
            f->n_big++;
            f->n_big_90 += ratio >= 0.9;
        }
    }
    for (int l = 0; l < RT_N_LANES; l++)
        f->n_waits += node->wait[l] >= 0;
    const rt_trace_node_t *p = &f->predicted[n];
    if (s->predicted_end == 0 || p->start < s->predicted_start)
        s->predicted_start = p->start;
    s->predicted_end = fmax(s->predicted_end, p->end);
}

/* What a kernel-lane node costs in the prediction: on the device its
 * measured span, the gap between back-to-back kernels and, when it waits
 * on another lane, the cost of that wait (more when it is also waited
 * for); when the host issues the launches (streams, serial), at least
 * their issue time, which overlaps the device's (the default kernel
 * launches once per RT_OPERANDS_PER_LAUNCH inputs, and as often for the
 * outputs). */
static double node_duration(const cosma_runtime_t *rt, const cosma_cost_model_t *m, const rt_node_t *node,
                            double span)
{
    if (node->kind != RT_NODE_RUN || rt->options.backend == COSMA_BACKEND_CPU)
        return span;
    double device = span + m->kernel_gap_seconds;
    int waits = node->wait[RT_LANE_UP] >= 0 || node->wait[RT_LANE_DOWN] >= 0;
    if (rt->options.mode != COSMA_RUN_SERIAL && waits)
        device += m->wait_seconds + (node->waited_on ? m->signal_seconds : 0);
    if (rt->options.mode == COSMA_RUN_GRAPH)
        return device;
    const cosma_event_t *run = &rt->schedule->events[node->event];
    int32_t inputs = 0;
    for (int32_t k = 0; k < run->n_inputs; k++)
        inputs += rt->schedule->operands[run->operands + k].tensor >= 0;
    int32_t per = RT_OPERANDS_PER_LAUNCH;
    int32_t launches = (inputs + per - 1) / per + (run->n_outputs + per - 1) / per;
    return fmax(device, m->launch_seconds * launches);
}

static cosma_status_t figures_build(const cosma_runtime_t *rt, const cosma_cost_model_t *m, figures_t *f)
{
    memset(f, 0, sizeof *f);
    f->first_mismatch = -1;
    int32_t n_nodes = rt->deps.n_nodes;
    f->steps = calloc((size_t)rt->plan->n_steps + 2, sizeof(step_figures_t));
    f->predicted = calloc((size_t)n_nodes + 1, sizeof(rt_trace_node_t));
    double *kernel = calloc((size_t)n_nodes + 1, sizeof(double));
    if (f->steps == NULL || f->predicted == NULL || kernel == NULL) {
        free(kernel);
        return COSMA_ERR_NOMEM;
    }
    double up = 0, down = 0;
    for (int32_t n = 0; n < n_nodes; n++) {
        const rt_node_t *node = &rt->deps.nodes[n];
        int d = direction_of(node);
        if (d < 0)
            kernel[n] = node_duration(rt, m, node, node_seconds(&rt->trace.nodes[n]));
        else if (d == 0)
            up += m->h2d_latency_seconds + (double)node->bytes / m->h2d_bytes_per_second;
        else
            down += m->d2h_latency_seconds + (double)node->bytes / m->d2h_bytes_per_second;
    }
    f->predicted_seconds = rt_simulate(&rt->deps, m, kernel, f->predicted);
    free(kernel);
    f->bytes_match = 1;
    for (int32_t n = 0; n < n_nodes; n++)
        add_node(f, rt, m, n);
    if (f->n_big > 0)
        f->big_mean_ratio /= (double)f->n_big;
    f->lower_bound_seconds = fmax(fmax(up, down), f->total.kernel_seconds);
    return COSMA_OK;
}

static void figures_free(figures_t *f)
{
    free(f->steps);
    free(f->predicted);
}

static double bandwidth(uint64_t bytes, double seconds)
{
    return seconds > 0 ? (double)bytes / seconds : 0;
}

static void json_step(cosma_buf_t *b, const char *indent, const step_figures_t *s)
{
    cosma_buf_printf(b,
                     "%s\"planned_h2d_bytes\": %" PRIu64 ", \"actual_h2d_bytes\": %" PRIu64
                     ", \"planned_d2h_bytes\": %" PRIu64 ", \"actual_d2h_bytes\": %" PRIu64
                     ",\n%s\"h2d_copies\": %" PRId64 ", \"d2h_copies\": %" PRId64
                     ", \"h2d_seconds\": %.9f, \"d2h_seconds\": %.9f, \"kernel_seconds\": %.9f"
                     ",\n%s\"h2d_bytes_per_second\": %.6g, \"d2h_bytes_per_second\": %.6g"
                     ", \"predicted_start_seconds\": %.9f, \"predicted_end_seconds\": %.9f",
                     indent, s->planned[0], s->actual[0], s->planned[1], s->actual[1], indent, s->copies[0],
                     s->copies[1], s->copy_seconds[0], s->copy_seconds[1], s->kernel_seconds, indent,
                     bandwidth(s->actual[0], s->copy_seconds[0]), bandwidth(s->actual[1], s->copy_seconds[1]),
                     s->predicted_start, s->predicted_end);
}

static void emit_json(cosma_buf_t *b, const cosma_runtime_t *rt, const cosma_cost_model_t *m, const figures_t *f)
{
    const cosma_run_stats_t *st = &rt->stats;
    cosma_buf_puts(b, "{\n  \"format\": \"cosma-run-report\",\n  \"version\": 1,\n  \"graph\": ");
    cosma_buf_json_string(b, rt->graph->name);
    cosma_buf_printf(b,
                     ",\n  \"backend\": \"%s\",\n  \"mode\": \"%s\",\n  \"budget_bytes\": %" PRIu64
                     ",\n  \"params\": %s,\n  \"elem_bytes\": %" PRIu32 ",\n  \"source\": ",
                     cosma_backend_name(rt->options.backend), cosma_run_mode_name(rt->options.mode),
                     rt->plan->budget_bytes, rt->plan->mode.with_params ? "true" : "false", rt->plan->mode.elem_bytes);
    cosma_buf_json_string(b, rt->trace.source);
    cosma_buf_printf(b,
                     ",\n  \"cupti\": %s,\n  \"bytes_match\": %s,\n  \"cost_model\": {\"backend\": \"%s\", "
                     "\"h2d_latency_seconds\": %.9g, \"h2d_bytes_per_second\": %.9g, \"d2h_latency_seconds\": %.9g, "
                     "\"d2h_bytes_per_second\": %.9g, \"h2d_duplex_slowdown\": %.6g, \"d2h_duplex_slowdown\": %.6g, "
                     "\"dependency_seconds\": %.9g, \"wait_seconds\": %.9g, \"signal_seconds\": %.9g, "
                     "\"kernel_gap_seconds\": %.9g, \"launch_seconds\": %.9g},\n",
                     rt->trace.from_cupti ? "true" : "false", f->bytes_match ? "true" : "false", m->backend,
                     m->h2d_latency_seconds, m->h2d_bytes_per_second, m->d2h_latency_seconds, m->d2h_bytes_per_second,
                     m->h2d_duplex_slowdown, m->d2h_duplex_slowdown, m->dependency_seconds, m->wait_seconds,
                     m->signal_seconds, m->kernel_gap_seconds, m->launch_seconds);
    cosma_buf_puts(b, "  \"totals\": {\n");
    json_step(b, "    ", &f->total);
    cosma_buf_printf(b,
                     ",\n    \"runtime_h2d_bytes\": %" PRIu64 ", \"runtime_d2h_bytes\": %" PRIu64
                     ", \"runtime_h2d_copies\": %" PRId64 ", \"runtime_d2h_copies\": %" PRId64
                     ", \"kernels\": %" PRId64 ",\n    \"wall_seconds\": %.9f, \"predicted_seconds\": %.9f"
                     ", \"lower_bound_seconds\": %.9f,\n    \"big_copies\": %" PRId64
                     ", \"big_copies_at_90\": %" PRId64
                     ", \"big_copy_min_bandwidth_ratio\": %.4f, \"big_copy_mean_bandwidth_ratio\": %.4f"
                     ", \"big_copies_at_90_of_model\": %" PRId64 ", \"cross_lane_waits\": %" PRId64 "\n  },\n",
                     st->h2d_bytes, st->d2h_bytes, st->n_h2d, st->n_d2h, st->n_kernels, rt->trace.wall_seconds,
                     f->predicted_seconds, f->lower_bound_seconds, f->n_big, f->n_big_90, f->big_min_ratio,
                     f->big_mean_ratio, f->n_big_90_model, f->n_waits);
    cosma_buf_puts(b, "  \"steps\": [\n");
    for (int32_t t = 1; t <= rt->plan->n_steps; t++) {
        cosma_buf_printf(b, "    {\"step\": %" PRId32 ", \"operator\": ", t);
        cosma_buf_json_string(b, rt->graph->ops[rt->plan->order[t - 1]].name);
        cosma_buf_puts(b, ",\n");
        json_step(b, "     ", &f->steps[t]);
        cosma_buf_puts(b, t < rt->plan->n_steps ? "},\n" : "}\n");
    }
    cosma_buf_puts(b, "  ]\n}\n");
}

static void emit_markdown(cosma_buf_t *b, const cosma_runtime_t *rt, const figures_t *f)
{
    const step_figures_t *s = &f->total;
    cosma_buf_printf(b, "# Run report: %s\n\n", rt->graph->name);
    cosma_buf_printf(b, "Backend `%s`, mode `%s`, budget %" PRIu64 " bytes, %s, element size %s. Source: %s.\n\n",
                     cosma_backend_name(rt->options.backend), cosma_run_mode_name(rt->options.mode),
                     rt->plan->budget_bytes, rt->plan->mode.with_params ? "parameters in the scratchpad"
                                                                        : "activations only",
                     rt->plan->mode.elem_bytes ? "overridden" : "of each dtype", rt->trace.source);
    cosma_buf_puts(b, "| | host to device | device to host |\n|---|---:|---:|\n");
    cosma_buf_printf(b, "| planned bytes | %" PRIu64 " | %" PRIu64 " |\n", s->planned[0], s->planned[1]);
    cosma_buf_printf(b, "| actual bytes | %" PRIu64 " | %" PRIu64 " |\n", s->actual[0], s->actual[1]);
    cosma_buf_printf(b, "| runtime's counters | %" PRIu64 " | %" PRIu64 " |\n", rt->stats.h2d_bytes,
                     rt->stats.d2h_bytes);
    cosma_buf_printf(b, "| copies | %" PRId64 " | %" PRId64 " |\n", s->copies[0], s->copies[1]);
    cosma_buf_printf(b, "| copy time (ms) | %.3f | %.3f |\n", 1e3 * s->copy_seconds[0], 1e3 * s->copy_seconds[1]);
    cosma_buf_printf(b, "| bandwidth (GB/s) | %.2f | %.2f |\n\n", 1e-9 * bandwidth(s->actual[0], s->copy_seconds[0]),
                     1e-9 * bandwidth(s->actual[1], s->copy_seconds[1]));
    cosma_buf_printf(b, "Bytes %s the plan. Kernel time %.3f ms. Wall time of this run %.3f ms; the cost model predicted "
                        "%.3f ms; the resource lower bound is %.3f ms.\n",
                     f->bytes_match ? "equal" : "**differ from**", 1e3 * s->kernel_seconds,
                     1e3 * rt->trace.wall_seconds, 1e3 * f->predicted_seconds, 1e3 * f->lower_bound_seconds);
    if (f->n_big > 0)
        cosma_buf_printf(b, "Copies of 1 MiB or more: %" PRId64 ", %" PRId64 " of them at 90%% of the calibrated "
                            "bandwidth or more; the slowest at %.1f%%, the mean %.1f%%.\n",
                         f->n_big, f->n_big_90, 100 * f->big_min_ratio, 100 * f->big_mean_ratio);
    cosma_buf_puts(b, "\n| step | operator | planned in | actual in | planned out | actual out | copies | "
                      "kernel (us) |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int32_t t = 1; t <= rt->plan->n_steps; t++) {
        const step_figures_t *x = &f->steps[t];
        cosma_buf_printf(b, "| %" PRId32 " | %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRId64
                            " | %.1f |\n",
                         t, rt->graph->ops[rt->plan->order[t - 1]].name, x->planned[0], x->actual[0], x->planned[1],
                         x->actual[1], x->copies[0] + x->copies[1], 1e6 * x->kernel_seconds);
    }
}

static void svg_escape(cosma_buf_t *b, const char *text)
{
    for (; *text != '\0'; text++) {
        switch (*text) {
        case '<': cosma_buf_puts(b, "&lt;"); break;
        case '>': cosma_buf_puts(b, "&gt;"); break;
        case '&': cosma_buf_puts(b, "&amp;"); break;
        case '"': cosma_buf_puts(b, "&quot;"); break;
        default: cosma_buf_append(b, text, 1);
        }
    }
}

static void emit_svg(cosma_buf_t *b, const cosma_runtime_t *rt)
{
    static const char *const lane_names[RT_N_LANES] = {"upload", "kernels", "download"};
    static const char *const colours[] = {"#1565c0", "#2e7d32", "#c62828", "#ef6c00", "#757575"};
    double span = rt->trace.wall_seconds;
    for (int32_t n = 0; n < rt->deps.n_nodes; n++)
        if (rt->trace.nodes[n].measured)
            span = fmax(span, rt->trace.nodes[n].end);
    span = span > 0 ? span : 1e-6;
    double scale = (SVG_WIDTH - SVG_LEFT - SVG_RIGHT) / span;
    cosma_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                        "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"10\" "
                        "y=\"24\" font-size=\"16\">",
                     SVG_WIDTH, SVG_HEIGHT);
    svg_escape(b, rt->graph->name);
    cosma_buf_printf(b, ": %s, %s, %.3f ms (%s)</text>\n", cosma_backend_name(rt->options.backend),
                     cosma_run_mode_name(rt->options.mode), 1e3 * rt->trace.wall_seconds, rt->trace.source);
    for (int l = 0; l < RT_N_LANES; l++)
        cosma_buf_printf(b, "<text x=\"10\" y=\"%d\">%s</text>\n", SVG_LANE_TOP + l * SVG_LANE_HEIGHT + 45,
                         lane_names[l]);
    /* Step marks: where each step's kernel began. */
    cosma_buf_puts(b, "<g class=\"steps\" stroke=\"#bdbdbd\" stroke-width=\"0.5\">\n");
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        const rt_trace_node_t *t = &rt->trace.nodes[n];
        if (rt->deps.nodes[n].kind == RT_NODE_RUN && t->measured)
            cosma_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", SVG_LEFT + scale * t->start,
                             SVG_LANE_TOP, SVG_LEFT + scale * t->start, SVG_LANE_TOP + RT_N_LANES * SVG_LANE_HEIGHT);
    }
    cosma_buf_puts(b, "</g>\n<g class=\"nodes\">\n");
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        const rt_node_t *node = &rt->deps.nodes[n];
        const rt_trace_node_t *t = &rt->trace.nodes[n];
        if (!t->measured)
            continue;
        const cosma_event_t *e = &rt->schedule->events[node->event];
        double x = SVG_LEFT + scale * t->start, w = fmax(0.5, scale * (t->end - t->start));
        cosma_buf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"60\" fill=\"%s\"><title>step %" PRId32
                            " ",
                         x, SVG_LANE_TOP + (int)node->lane * SVG_LANE_HEIGHT + 15, w, colours[node->kind], node->step);
        svg_escape(b, node->kind == RT_NODE_RUN ? rt->graph->ops[e->op].name : rt->graph->tensors[e->tensor].name);
        cosma_buf_printf(b, ": %s %" PRIu64 " bytes, %.1f us</title></rect>\n",
                         node->kind == RT_NODE_RUN ? "kernel" : cosma_event_kind_name(e->kind), node->bytes,
                         1e6 * (t->end - t->start));
    }
    cosma_buf_puts(b, "</g>\n");
    int axis_y = SVG_LANE_TOP + RT_N_LANES * SVG_LANE_HEIGHT + 20;
    for (int k = 0; k <= 10; k++)
        cosma_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3f ms</text>\n",
                         SVG_LEFT + (SVG_WIDTH - SVG_LEFT - SVG_RIGHT) * k / 10.0, axis_y, 1e3 * span * k / 10.0);
    cosma_buf_puts(b, "</svg>\n");
}

cosma_status_t cosma_runtime_figures(const cosma_runtime_t *rt, const cosma_cost_model_t *model,
                                     cosma_run_figures_t *out)
{
    memset(out, 0, sizeof *out);
    if (!rt->trace.valid)
        return COSMA_ERR_USAGE;
    figures_t f;
    cosma_status_t status = figures_build(rt, model, &f);
    if (status == COSMA_OK) {
        const step_figures_t *s = &f.total;
        *out = (cosma_run_figures_t){
            .planned_h2d_bytes = s->planned[0], .actual_h2d_bytes = s->actual[0], .planned_d2h_bytes = s->planned[1],
            .actual_d2h_bytes = s->actual[1], .h2d_copies = s->copies[0], .d2h_copies = s->copies[1],
            .h2d_seconds = s->copy_seconds[0], .d2h_seconds = s->copy_seconds[1], .kernel_seconds = s->kernel_seconds,
            .wall_seconds = rt->trace.wall_seconds, .predicted_seconds = f.predicted_seconds,
            .lower_bound_seconds = f.lower_bound_seconds, .big_copies = f.n_big, .big_copies_at_90 = f.n_big_90,
            .big_copy_min_ratio = f.big_min_ratio, .big_copy_mean_ratio = f.big_mean_ratio,
            .big_copies_at_90_of_model = f.n_big_90_model, .cross_lane_waits = f.n_waits,
            .bytes_match = f.bytes_match, .from_cupti = rt->trace.from_cupti};
    }
    figures_free(&f);
    return status;
}

/* path with its ".json" (if any) replaced by suffix. */
static char *sibling(const char *path, const char *suffix)
{
    size_t n = strlen(path);
    if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
        n -= 5;
    char *out = malloc(n + strlen(suffix) + 1);
    if (out != NULL) {
        memcpy(out, path, n);
        strcpy(out + n, suffix);
    }
    return out;
}

static cosma_status_t write_buf(cosma_buf_t *b, const char *path, cosma_diag_t *diag)
{
    cosma_status_t status = b->failed || path == NULL ? COSMA_ERR_NOMEM
                                                      : cosma_file_write_atomic(path, b->data, b->length, diag);
    cosma_buf_free(b);
    return status;
}

cosma_status_t cosma_runtime_write_report(cosma_runtime_t *rt, const cosma_cost_model_t *model,
                                          const char *json_path, cosma_diag_t *diag)
{
    if (!rt->trace.valid) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "report: no completed run to report on");
        return COSMA_ERR_USAGE;
    }
    figures_t f;
    cosma_status_t status = figures_build(rt, model, &f);
    char *md_path = sibling(json_path, ".md"), *svg_path = sibling(json_path, ".svg");
    cosma_buf_t json, md, svg;
    cosma_buf_init(&json);
    cosma_buf_init(&md);
    cosma_buf_init(&svg);
    if (status == COSMA_OK) {
        emit_json(&json, rt, model, &f);
        emit_markdown(&md, rt, &f);
        emit_svg(&svg, rt);
    }
    cosma_status_t s1 = write_buf(&json, json_path, diag), s2 = write_buf(&md, md_path, diag),
                   s3 = write_buf(&svg, svg_path, diag);
    if (status == COSMA_OK)
        status = s1 != COSMA_OK ? s1 : s2 != COSMA_OK ? s2 : s3;
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "report: out of memory writing '%s'", json_path);
    if (status == COSMA_OK && !f.bytes_match) {
        const rt_node_t *node = &rt->deps.nodes[f.first_mismatch];
        const cosma_event_t *e = &rt->schedule->events[node->event];
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "report: actual bytes (%" PRIu64 " in, %" PRIu64 " out, from %s) differ from the plan's "
                          "(%" PRIu64 " in, %" PRIu64 " out); first at step %" PRId32 ": %s of '%s' moved %" PRIu64
                          " of %" PRIu64 " bytes",
                          f.total.actual[0], f.total.actual[1], rt->trace.source, f.total.planned[0],
                          f.total.planned[1], node->step, cosma_event_kind_name(e->kind),
                          rt->graph->tensors[e->tensor].name, rt->trace.nodes[f.first_mismatch].bytes, node->bytes);
        status = COSMA_ERR_INTERNAL;
    }
    free(md_path);
    free(svg_path);
    figures_free(&f);
    return status;
}
