/* svg.c: the scratchpad over time as an SVG picture.  x is the timestep,
 * y the byte offset with 0 at the bottom; one box per residency interval.
 * Fixed 1600 px width whatever the step count, so pictures of different
 * plans compare side by side. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/codegen.h>

enum { SVG_WIDTH = 1600, SVG_HEIGHT = 900 };
static const double PLOT_X0 = 110.0, PLOT_X1 = 1570.0, PLOT_Y0 = 112.0, PLOT_Y1 = 830.0;
static const double FONT_WIDTH = 6.4; /* rough advance of an 11 px sans-serif glyph */

/* Length of the valid UTF-8 sequence at p, 0 if it is not one. */
static size_t utf8_sequence(const unsigned char *p)
{
    uint32_t codepoint;
    return cosma_utf8_decode((const char *)p, strnlen((const char *)p, 4), &codepoint);
}

static size_t utf8_chars(const char *text)
{
    size_t count = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; count++) {
        size_t n = utf8_sequence(p);
        p += n == 0 ? 1 : n;
    }
    return count;
}


/* 1,234,567 */
static void grouped(char *out, size_t size, uint64_t value)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, value);
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
}

/* Three significant digits in B, KB, MB or GB (powers of 1000). */
static void human(char *out, size_t size, uint64_t value)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double v = (double)value;
    int unit = 0;
    while (v >= 999.5 && unit < 5) {
        v /= 1000.0;
        unit++;
    }
    if (unit == 0)
        snprintf(out, size, "%" PRIu64 " B", value);
    else
        snprintf(out, size, "%.3g %s", v, units[unit]);
}

/* A tick value in the axis unit, without trailing zeros. */
static void tick_label(char *out, size_t size, double value, double unit, const char *unit_name)
{
    char number[48];
    snprintf(number, sizeof number, "%.3f", value / unit);
    char *dot = strchr(number, '.');
    if (dot != NULL) {
        char *end = number + strlen(number) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    snprintf(out, size, "%s %s", number, unit_name);
}

/* 1, 2 or 5 times a power of ten, at least raw. */
static double nice_step(double raw)
{
    if (!(raw > 0.0))
        return 1.0;
    double power = pow(10.0, floor(log10(raw)));
    double mantissa = raw / power;
    return (mantissa <= 1.0 ? 1.0 : mantissa <= 2.0 ? 2.0 : mantissa <= 5.0 ? 5.0 : 10.0) * power;
}

static void hsl_hex(char out[8], double hue, double saturation, double lightness)
{
    double c = (1.0 - fabs(2.0 * lightness - 1.0)) * saturation;
    double h = fmod(hue, 360.0) / 60.0;
    double x = c * (1.0 - fabs(fmod(h, 2.0) - 1.0));
    double r = 0, g = 0, b = 0;
    if (h < 1) { r = c; g = x; }
    else if (h < 2) { r = x; g = c; }
    else if (h < 3) { g = c; b = x; }
    else if (h < 4) { g = x; b = c; }
    else if (h < 5) { r = x; b = c; }
    else { r = c; b = x; }
    double m = lightness - c / 2.0;
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)lround((r + m) * 255.0), (unsigned)lround((g + m) * 255.0),
             (unsigned)lround((b + m) * 255.0));
}

/* Colour family by tensor kind (the legend), shade by a hash of the name
 * so that neighbouring boxes of one kind stay apart. */
static void tensor_colour(char fill[8], char stroke[8], cosma_tensor_kind_t kind, const char *name)
{
    static const double hues[] = {210.0, 140.0, 28.0, 280.0}; /* input, activation, output, param */
    static const double spread[] = {24.0, 60.0, 16.0, 24.0};
    uint64_t hash = cosma_hash_string(COSMA_HASH_INIT, name);
    int k = kind >= COSMA_TENSOR_INPUT && kind <= COSMA_TENSOR_PARAM ? (int)kind : 1;
    double hue = hues[k] + ((double)(hash % 1000) / 1000.0 - 0.5) * spread[k];
    double light = 0.62 + (double)((hash >> 20) % 1000) / 1000.0 * 0.16;
    hsl_hex(fill, hue, 0.55, light);
    hsl_hex(stroke, hue, 0.45, 0.32);
}

static const char *const KIND_LABELS[] = {"graph input", "activation", "graph output", "parameter"};

typedef struct {
    double axis_top; /* bytes at the top of the plot */
    double col_w;
    int32_t n_cols;
} scale_t;

static double y_of(const scale_t *s, double bytes)
{
    return PLOT_Y1 - bytes / s->axis_top * (PLOT_Y1 - PLOT_Y0);
}

static void draw_axes(cosma_buf_t *buf, const scale_t *s, int32_t n_steps)
{
    /* y: ticks every nice step, labelled in the unit of the top. */
    double step = nice_step(s->axis_top / 8.0);
    double unit = s->axis_top >= 1e9 ? 1e9 : s->axis_top >= 1e6 ? 1e6 : s->axis_top >= 1e3 ? 1e3 : 1.0;
    const char *unit_name = unit == 1e9 ? "GB" : unit == 1e6 ? "MB" : unit == 1e3 ? "KB" : "B";
    cosma_buf_puts(buf, "<g class=\"axes\" font-size=\"12\" fill=\"#333\">\n");
    for (int k = 0; k * step <= s->axis_top * (1.0 + 1e-9); k++) {
        char label[64];
        double y = y_of(s, k * step);
        tick_label(label, sizeof label, k * step, unit, unit_name);
        cosma_buf_printf(buf,
                         "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e4e4e4\"/>"
                         "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>"
                         "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n",
                         PLOT_X0, y, PLOT_X1, y, PLOT_X0 - 5, y, PLOT_X0, y, PLOT_X0 - 8, y + 4, label);
    }
    /* x: a label at most every ~40 px, on 1 and multiples of a nice step. */
    int32_t every = (int32_t)nice_step(40.0 / s->col_w);
    if (every < 1)
        every = 1;
    for (int32_t t = 1; t <= n_steps; t++) {
        double x = PLOT_X0 + (t - 0.5) * s->col_w;
        if (s->col_w >= 6.0)
            cosma_buf_printf(buf, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#f0f0f0\"/>\n",
                             PLOT_X0 + t * s->col_w, PLOT_Y0, PLOT_X0 + t * s->col_w, PLOT_Y1);
        if (t == 1 || t % every == 0)
            cosma_buf_printf(buf,
                             "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>"
                             "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%" PRId32 "</text>\n",
                             x, PLOT_Y1, x, PLOT_Y1 + 5, x, PLOT_Y1 + 19, t);
    }
    cosma_buf_printf(buf,
                     "<rect class=\"frame\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                     "stroke=\"#333\"/>\n",
                     PLOT_X0, PLOT_Y0, PLOT_X1 - PLOT_X0, PLOT_Y1 - PLOT_Y0);
    cosma_buf_printf(buf, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"13\">timestep</text>\n",
                     (PLOT_X0 + PLOT_X1) / 2, PLOT_Y1 + 42);
    cosma_buf_printf(buf,
                     "<text transform=\"translate(%.2f %.2f) rotate(-90)\" text-anchor=\"middle\" "
                     "font-size=\"13\">scratchpad offset (0 at the bottom; 1 KB = 1000 B)</text>\n",
                     28.0, (PLOT_Y0 + PLOT_Y1) / 2);
    cosma_buf_puts(buf, "</g>\n");
}

/* A triangle pointing right, its tip at x_tip. */
static void arrow(cosma_buf_t *buf, double x_tip, double y, double size, const char *colour)
{
    cosma_buf_printf(buf, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>", x_tip - size, y - size,
                     x_tip, y, x_tip - size, y + size, colour);
}

static const char *const LOAD_COLOUR = "#444444", *const RETRIEVE_COLOUR = "#1565c0", *const SPILL_COLOUR = "#c62828";

static void draw_interval(cosma_buf_t *buf, const cosma_graph_t *graph, const cosma_plan_t *plan, const scale_t *s,
                          const cosma_interval_t *iv, int compulsory)
{
    const cosma_tensor_t *tensor = &graph->tensors[iv->tensor];
    char fill[8], stroke[8], bytes[32], offset[32], end[32];
    tensor_colour(fill, stroke, tensor->kind, tensor->name);
    grouped(bytes, sizeof bytes, iv->bytes);
    grouped(offset, sizeof offset, iv->offset);
    grouped(end, sizeof end, iv->offset + iv->bytes);
    double x = PLOT_X0 + (iv->first - 1) * s->col_w, w = (iv->last - iv->first + 1) * s->col_w;
    double y = y_of(s, (double)(iv->offset + iv->bytes)), h = y_of(s, (double)iv->offset) - y;
    if (h < 0.6) /* still visible, a hairline */
        h = 0.6;

    cosma_buf_puts(buf, "<g><title>");
    cosma_buf_xml_text(buf, tensor->name, SIZE_MAX);
    cosma_buf_printf(buf, " (%s)\n%s bytes at offset %s..%s\nsteps %" PRId32 "..%" PRId32 " (", KIND_LABELS[tensor->kind],
                     bytes, offset, end, iv->first, iv->last);
    cosma_buf_xml_text(buf, graph->ops[plan->order[iv->first - 1]].name, 80);
    cosma_buf_puts(buf, " .. ");
    cosma_buf_xml_text(buf, graph->ops[plan->order[iv->last - 1]].name, 80);
    cosma_buf_printf(buf, ")\nbegins: %s; ends: %s</title>",
                     iv->begin == COSMA_BEGIN_CREATE ? "created"
                     : compulsory                    ? "loaded (compulsory)"
                                                     : "retrieved",
                     iv->end == COSMA_END_SPILL ? "spilled" : "dropped");
    cosma_buf_printf(buf,
                     "<rect class=\"iv\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                     "stroke=\"%s\" stroke-width=\"0.6\"/>",
                     x, y, w, h, fill, stroke);
    /* Loads and spills: a coloured edge and an arrow, in at the left edge
     * and out at the right one. */
    double edge = fmin(3.0, w / 4.0), size = fmin(8.0, fmin(h / 2.0, w / 3.0));
    const char *in_colour = compulsory ? LOAD_COLOUR : RETRIEVE_COLOUR;
    if (iv->begin == COSMA_BEGIN_LOAD && edge >= 0.5)
        cosma_buf_printf(buf, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.2f\"/>",
                         x + edge / 2, y, x + edge / 2, y + h, in_colour, edge);
    if (iv->end == COSMA_END_SPILL && edge >= 0.5)
        cosma_buf_printf(buf, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.2f\"/>",
                         x + w - edge / 2, y, x + w - edge / 2, y + h, SPILL_COLOUR, edge);
    /* Arrows sit near the top so that upright names fit below them. */
    double arrow_y = y + fmin(h / 2.0, size + 3.0);
    if (size >= 1.5) {
        if (iv->begin == COSMA_BEGIN_LOAD)
            arrow(buf, x + edge + size, arrow_y, size, in_colour);
        if (iv->end == COSMA_END_SPILL)
            arrow(buf, x + w - edge, arrow_y, size, SPILL_COLOUR);
    }
    /* The name where it fits, across or (tall narrow boxes) upwards,
     * shortened with an ellipsis where it nearly fits; nothing on boxes
     * too small to read. */
    int arrows = size >= 1.5 && (iv->begin == COSMA_BEGIN_LOAD || iv->end == COSMA_END_SPILL);
    double left = iv->begin == COSMA_BEGIN_LOAD ? edge : 0.0, right = iv->end == COSMA_END_SPILL ? edge : 0.0;
    double margin = 2.0 * (arrows ? edge + size + 1.0 : 2.0);
    double below = arrows ? 2.0 * size + 5.0 : 3.0; /* upright names start under the arrows */
    double tall = h - below - 3.0;
    size_t chars = utf8_chars(tensor->name);
    size_t across = w - margin > 0 ? (size_t)((w - margin) / FONT_WIDTH) : 0;
    size_t upwards = tall > 0 ? (size_t)(tall / FONT_WIDTH) : 0;
    int vertical = 0;
    size_t fit = 0;
    if (h >= 13.0 && (across >= chars || across >= 4))
        fit = across;
    else if (w - left - right >= 9.0 && (upwards >= chars || upwards >= 4) && upwards > across) {
        fit = upwards;
        vertical = 1;
    }
    if (fit > 0) {
        if (vertical)
            cosma_buf_printf(buf, "<text transform=\"translate(%.2f %.2f) rotate(-90)\" text-anchor=\"middle\">",
                             x + left + (w - left - right) / 2 + 4, y + below + tall / 2);
        else
            cosma_buf_printf(buf, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", x + w / 2, y + h / 2 + 4);
        if (fit >= chars) {
            cosma_buf_xml_text(buf, tensor->name, SIZE_MAX);
        } else {
            cosma_buf_xml_text(buf, tensor->name, fit - 1);
            cosma_buf_puts(buf, "\xe2\x80\xa6");
        }
        cosma_buf_puts(buf, "</text>");
    }
    cosma_buf_puts(buf, "</g>\n");
}

static void draw_legend(cosma_buf_t *buf)
{
    double x = PLOT_X0;
    const double y = 88.0;
    cosma_buf_puts(buf, "<g class=\"legend\" font-size=\"12\" fill=\"#333\">\n");
    for (int k = 0; k < 4; k++) {
        char fill[8], stroke[8];
        tensor_colour(fill, stroke, (cosma_tensor_kind_t)k, "");
        cosma_buf_printf(buf,
                         "<rect class=\"legend\" x=\"%.2f\" y=\"%.2f\" width=\"14\" height=\"12\" fill=\"%s\" "
                         "stroke=\"%s\" stroke-width=\"0.6\"/><text x=\"%.2f\" y=\"%.2f\">%s</text>\n",
                         x, y - 10, fill, stroke, x + 19, y, KIND_LABELS[k]);
        x += 19 + FONT_WIDTH * 1.1 * strlen(KIND_LABELS[k]) + 22;
    }
    static const char *const marks[] = {"compulsory load", "retrieve (load)", "spill"};
    const char *colours[] = {LOAD_COLOUR, RETRIEVE_COLOUR, SPILL_COLOUR};
    for (int k = 0; k < 3; k++) {
        arrow(buf, x + 10, y - 4, 6, colours[k]);
        cosma_buf_printf(buf, "<text x=\"%.2f\" y=\"%.2f\">%s</text>\n", x + 15, y, marks[k]);
        x += 15 + FONT_WIDTH * 1.1 * strlen(marks[k]) + 22;
    }
    cosma_buf_printf(buf,
                     "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#d32f2f\" stroke-width=\"2\" "
                     "stroke-dasharray=\"8 4\"/><text x=\"%.2f\" y=\"%.2f\">budget</text>\n",
                     x, y - 4, x + 26, y - 4, x + 31, y);
    x += 31 + FONT_WIDTH * 6 + 22;
    cosma_buf_printf(buf,
                     "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#555\" stroke-width=\"1.2\" "
                     "stroke-dasharray=\"2 3\"/><text x=\"%.2f\" y=\"%.2f\">peak</text>\n",
                     x, y - 4, x + 26, y - 4, x + 31, y);
    cosma_buf_puts(buf, "</g>\n");
}

/* What the drawing needs beyond a plan the event schedule accepts: every
 * interval's end offset fits in 64 bits. */
static cosma_status_t check_drawable(const cosma_plan_t *plan)
{
    for (int32_t i = 0; i < plan->n_intervals; i++)
        if (plan->intervals[i].offset > UINT64_MAX - plan->intervals[i].bytes)
            return COSMA_ERR_USAGE;
    return COSMA_OK;
}

static cosma_status_t emit_svg(const cosma_graph_t *graph, const cosma_plan_t *plan,
                               const cosma_event_schedule_t *schedule, cosma_buf_t *buf)
{
    const cosma_traffic_t *tr = &plan->traffic;
    uint64_t top = plan->budget_bytes > tr->peak_bytes ? plan->budget_bytes : tr->peak_bytes;
    for (int32_t i = 0; i < plan->n_intervals; i++)
        if (plan->intervals[i].offset + plan->intervals[i].bytes > top)
            top = plan->intervals[i].offset + plan->intervals[i].bytes;
    scale_t s;
    double step = nice_step((top > 0 ? (double)top : 1.0) * 1.04 / 8.0);
    s.axis_top = ceil((top > 0 ? (double)top : 1.0) * 1.04 / step) * step;
    s.n_cols = plan->n_steps > 0 ? plan->n_steps : 1;
    s.col_w = (PLOT_X1 - PLOT_X0) / s.n_cols;

    char budget[32], budget_h[32], peak[32], spill[32], retrieve[32], traffic[32], compulsory[32], bound[32];
    grouped(budget, sizeof budget, plan->budget_bytes);
    human(budget_h, sizeof budget_h, plan->budget_bytes);
    human(peak, sizeof peak, tr->peak_bytes);
    human(spill, sizeof spill, tr->spill_bytes);
    human(retrieve, sizeof retrieve, tr->retrieve_bytes);
    human(traffic, sizeof traffic, tr->spill_bytes + tr->retrieve_bytes);
    human(compulsory, sizeof compulsory, tr->compulsory_load_bytes + tr->compulsory_store_bytes);
    human(bound, sizeof bound, plan->lower_bound_bytes);

    cosma_buf_printf(buf,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                     "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
                     SVG_WIDTH, SVG_HEIGHT, SVG_WIDTH, SVG_HEIGHT);
    cosma_buf_puts(buf, "<title>cosma plan: ");
    cosma_buf_xml_text(buf, graph->name, 200);
    cosma_buf_puts(buf, "</title>\n<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    cosma_buf_printf(buf, "<text x=\"%.2f\" y=\"32\" font-size=\"20\" font-weight=\"bold\">", PLOT_X0);
    cosma_buf_xml_text(buf, graph->name, 90);
    cosma_buf_printf(buf, " \xe2\x80\x94 budget %s B", budget);
    if (plan->budget_bytes >= 1000)
        cosma_buf_printf(buf, " (%s)", budget_h);
    cosma_buf_printf(buf, ", %s", cosma_plan_status_name(plan->status));
    if (plan->method != NULL && plan->method[0] != '\0') {
        cosma_buf_puts(buf, " (");
        cosma_buf_xml_text(buf, plan->method, 60);
        cosma_buf_puts(buf, ")");
    }
    cosma_buf_puts(buf, "</text>\n");
    cosma_buf_printf(buf, "<text x=\"%.2f\" y=\"56\" font-size=\"14\" fill=\"#333\">", PLOT_X0);
    if (plan->status == COSMA_PLAN_INFEASIBLE)
        cosma_buf_printf(buf, "no plan fits this budget \xc2\xb7 %" PRId32 " operators", graph->n_ops);
    else
        cosma_buf_printf(buf,
                         "non-compulsory traffic %s (spill %s + retrieve %s) \xc2\xb7 lower bound %s \xc2\xb7 "
                         "compulsory %s \xc2\xb7 peak %s \xc2\xb7 %" PRId32 " steps, %" PRId32 " intervals",
                         traffic, spill, retrieve, bound, compulsory, peak, plan->n_steps, plan->n_intervals);
    cosma_buf_puts(buf, "</text>\n");
    draw_legend(buf);
    draw_axes(buf, &s, plan->n_steps);

    /* The compulsory load of each tensor, from the event schedule: the
     * step it happens at, 0 = none. */
    int32_t *compulsory_step = calloc((size_t)graph->n_tensors + 1, sizeof(int32_t));
    if (compulsory_step == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t e = 0; e < schedule->n_events; e++) {
        const cosma_event_t *event = &schedule->events[e];
        if (event->kind == COSMA_EVENT_KIND_LOAD && event->compulsory)
            compulsory_step[event->tensor] = event->step;
    }
    cosma_buf_puts(buf, "<g class=\"intervals\" font-size=\"11\" fill=\"#111\">\n");
    for (int32_t i = 0; i < plan->n_intervals; i++) {
        const cosma_interval_t *iv = &plan->intervals[i];
        int compulsory = iv->begin == COSMA_BEGIN_LOAD && compulsory_step[iv->tensor] == iv->first;
        draw_interval(buf, graph, plan, &s, iv, compulsory);
    }
    cosma_buf_puts(buf, "</g>\n");
    free(compulsory_step);

    if (plan->status == COSMA_PLAN_INFEASIBLE && plan->n_intervals == 0)
        cosma_buf_printf(buf,
                         "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"22\" fill=\"#999\">"
                         "infeasible: no plan</text>\n",
                         (PLOT_X0 + PLOT_X1) / 2, (PLOT_Y0 + PLOT_Y1) / 2);
    /* Peak label on the left, budget label on the right: they never
     * collide even when the plan fills the budget exactly. */
    if (plan->status != COSMA_PLAN_INFEASIBLE) {
        double y = y_of(&s, (double)tr->peak_bytes);
        cosma_buf_printf(buf,
                         "<g class=\"peak\"><line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#555\" "
                         "stroke-width=\"1.2\" stroke-dasharray=\"2 3\"/><text x=\"%.2f\" y=\"%.2f\" font-size=\"12\" "
                         "fill=\"#333\">peak %s</text></g>\n",
                         PLOT_X0, y, PLOT_X1, y, PLOT_X0 + 4, y - 4, peak);
    }
    double y = y_of(&s, (double)plan->budget_bytes);
    cosma_buf_printf(buf,
                     "<g class=\"budget\"><line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#d32f2f\" "
                     "stroke-width=\"2\" stroke-dasharray=\"8 4\"/><text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" "
                     "font-size=\"12\" fill=\"#d32f2f\">budget %s B</text></g>\n",
                     PLOT_X0, y, PLOT_X1, y, PLOT_X1 - 4, y - 5, budget);
    cosma_buf_puts(buf, "</svg>\n");
    return buf->failed ? COSMA_ERR_NOMEM : COSMA_OK;
}

cosma_status_t cosma_codegen_write_svg(const cosma_graph_t *graph, const cosma_plan_t *plan, const char *path,
                                       cosma_diag_t *diag)
{
    if (graph == NULL || plan == NULL || path == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "SVG writer: no graph, plan or path given");
        return COSMA_ERR_USAGE;
    }
    cosma_event_schedule_t *schedule = NULL;
    cosma_status_t status = cosma_schedule_build(graph, plan, &schedule, NULL);
    if (status == COSMA_OK)
        status = check_drawable(plan);
    if (status == COSMA_ERR_USAGE || status == COSMA_ERR_INPUT) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "SVG writer: the plan does not belong to graph '%s' (its steps, operators or intervals are "
                          "out of range)",
                          graph->name);
        cosma_schedule_free(schedule);
        return COSMA_ERR_USAGE;
    }
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    if (status == COSMA_OK)
        status = emit_svg(graph, plan, schedule, &buf);
    if (status == COSMA_OK)
        status = cosma_file_write_atomic(path, buf.data, buf.length, diag);
    else
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while drawing '%s'", path);
    cosma_schedule_free(schedule);
    cosma_buf_free(&buf);
    return status;
}
