/* cost.c: the copy cost model (latency + bytes / bandwidth per direction,
 * a duplex slowdown, a cost per cross-lane wait), its JSON file, the cpu
 * calibration, and the simulation of a dependency graph on the three
 * lanes that gives the predicted makespan. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

#define COST_FORMAT "cosma-cost"
#define COST_VERSION 2 /* 2: duplex slowdown per direction, wait and signal costs */
#define CALIBRATE_CPU_BYTES (64u << 20)
#define CALIBRATE_CPU_REPEAT 5

void cosma_cost_model_init(cosma_cost_model_t *model)
{
    memset(model, 0, sizeof *model);
    snprintf(model->backend, sizeof model->backend, "cuda");
    /* The H200 figures measured for issue 9 (docs/runtime.md). */
    model->h2d_latency_seconds = model->d2h_latency_seconds = 2.5e-6;
    model->h2d_bytes_per_second = model->d2h_bytes_per_second = 55.0e9;
    model->h2d_duplex_slowdown = model->d2h_duplex_slowdown = 1.1;
    model->dependency_seconds = 0.0;
    model->wait_seconds = model->signal_seconds = 0.0;
    model->kernel_gap_seconds = 1.0e-6;
    model->launch_seconds = 4.6e-6;
}

cosma_status_t cosma_cost_model_write(const cosma_cost_model_t *m, const char *path, cosma_diag_t *diag)
{
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    cosma_buf_printf(&buf,
                     "{\n  \"format\": \"" COST_FORMAT "\",\n  \"version\": %d,\n  \"backend\": \"%s\",\n"
                     "  \"h2d_latency_seconds\": %.9g,\n  \"h2d_bytes_per_second\": %.9g,\n"
                     "  \"d2h_latency_seconds\": %.9g,\n  \"d2h_bytes_per_second\": %.9g,\n"
                     "  \"h2d_duplex_slowdown\": %.6g,\n  \"d2h_duplex_slowdown\": %.6g,\n"
                     "  \"dependency_seconds\": %.9g,\n  \"wait_seconds\": %.9g,\n  \"signal_seconds\": %.9g,\n"
                     "  \"kernel_gap_seconds\": %.9g,\n  \"launch_seconds\": %.9g\n}\n",
                     COST_VERSION, m->backend, m->h2d_latency_seconds, m->h2d_bytes_per_second, m->d2h_latency_seconds,
                     m->d2h_bytes_per_second, m->h2d_duplex_slowdown, m->d2h_duplex_slowdown, m->dependency_seconds,
                     m->wait_seconds, m->signal_seconds, m->kernel_gap_seconds, m->launch_seconds);
    cosma_status_t status = buf.failed ? COSMA_ERR_NOMEM : cosma_file_write_atomic(path, buf.data, buf.length, diag);
    cosma_buf_free(&buf);
    return status;
}

static cosma_status_t read_number(const cJSON *root, const char *path, const char *key, double low, double *out,
                                  cosma_diag_t *diag)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= low) || !isfinite(item->valuedouble)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: %s: expected a number of at least %g", path, key, low);
        return COSMA_ERR_INPUT;
    }
    *out = item->valuedouble;
    return COSMA_OK;
}

cosma_status_t cosma_cost_model_read(const char *path, cosma_cost_model_t *out, cosma_diag_t *diag)
{
    char *text = NULL;
    size_t length = 0;
    cosma_status_t status = cosma_file_read(path, &text, &length, diag);
    if (status != COSMA_OK)
        return status;
    cJSON *root = cJSON_ParseWithLength(text, length);
    free(text);
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *backend = cJSON_GetObjectItemCaseSensitive(root, "backend");
    if (root == NULL || !cJSON_IsString(format) || strcmp(format->valuestring, COST_FORMAT) != 0 ||
        !cJSON_IsString(backend)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: not a cost model written by cosma calibrate", path);
        cJSON_Delete(root);
        return COSMA_ERR_INPUT;
    }
    cosma_cost_model_init(out);
    snprintf(out->backend, sizeof out->backend, "%s", backend->valuestring);
    const struct {
        const char *key;
        double low, *value;
    } fields[] = {{"h2d_latency_seconds", 0, &out->h2d_latency_seconds},
                  {"h2d_bytes_per_second", 1, &out->h2d_bytes_per_second},
                  {"d2h_latency_seconds", 0, &out->d2h_latency_seconds},
                  {"d2h_bytes_per_second", 1, &out->d2h_bytes_per_second},
                  {"h2d_duplex_slowdown", 1, &out->h2d_duplex_slowdown},
                  {"d2h_duplex_slowdown", 1, &out->d2h_duplex_slowdown},
                  {"dependency_seconds", 0, &out->dependency_seconds},
                  {"wait_seconds", 0, &out->wait_seconds},
                  {"signal_seconds", 0, &out->signal_seconds},
                  {"kernel_gap_seconds", 0, &out->kernel_gap_seconds},
                  {"launch_seconds", 0, &out->launch_seconds}};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0] && status == COSMA_OK; k++)
        status = read_number(root, path, fields[k].key, fields[k].low, fields[k].value, diag);
    cJSON_Delete(root);
    return status;
}

/* The cpu "link" is memcpy: both directions are the same copy. */
static cosma_status_t calibrate_cpu(cosma_cost_model_t *m, cosma_diag_t *diag)
{
    unsigned char *a = malloc(CALIBRATE_CPU_BYTES), *b = malloc(CALIBRATE_CPU_BYTES);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        cosma_diag_report(diag, COSMA_SEV_ERROR, "calibrate: out of memory");
        return COSMA_ERR_NOMEM;
    }
    memset(a, 1, CALIBRATE_CPU_BYTES);
    memset(b, 2, CALIBRATE_CPU_BYTES);
    double best_big = 1e30, best_small = 1e30;
    for (int r = 0; r < CALIBRATE_CPU_REPEAT; r++) {
        double t0 = rt_clock_seconds();
        memcpy(b, a, CALIBRATE_CPU_BYTES);
        double t1 = rt_clock_seconds();
        memcpy(b + r, a, 64);
        double t2 = rt_clock_seconds();
        best_big = fmin(best_big, t1 - t0);
        best_small = fmin(best_small, t2 - t1);
    }
    free(a);
    free(b);
    snprintf(m->backend, sizeof m->backend, "cpu");
    m->h2d_bytes_per_second = m->d2h_bytes_per_second = CALIBRATE_CPU_BYTES / fmax(best_big, 1e-9);
    m->h2d_latency_seconds = m->d2h_latency_seconds = best_small;
    m->h2d_duplex_slowdown = m->d2h_duplex_slowdown = 1.0;
    m->dependency_seconds = m->wait_seconds = m->signal_seconds = 0.0;
    m->kernel_gap_seconds = 0.0;
    m->launch_seconds = 0.0;
    return COSMA_OK;
}

cosma_status_t cosma_runtime_calibrate(cosma_backend_t backend, int device, cosma_cost_model_t *out_model,
                                       cosma_diag_t *diag)
{
    cosma_cost_model_init(out_model);
    if (backend == COSMA_BACKEND_CPU)
        return calibrate_cpu(out_model, diag);
#ifdef COSMA_HAVE_CUDA
    return rt_cuda_calibrate(device, out_model, diag);
#else
    (void)device;
    cosma_diag_report(diag, COSMA_SEV_ERROR, "calibrate: backend 'cuda' is not in this build");
    return COSMA_ERR_USAGE;
#endif
}

/* ---- simulation --------------------------------------------------------- */

/* One lane's node in progress: a fixed latency, then bytes (copies) or a
 * fixed time (kernels). */
typedef struct {
    int32_t node;    /* -1 idle */
    double latency;  /* seconds left before bytes move */
    double work;     /* copies: bytes left; kernels: seconds left */
} lane_state_t;

static int is_copy(const rt_node_t *node)
{
    return node->kind == RT_NODE_LOAD || node->kind == RT_NODE_SPILL || node->kind == RT_NODE_STORE;
}

/* Earliest start of node n given finished dependencies, or -1 while one
 * is not finished. */
static double ready_at(const rt_deps_t *deps, int32_t n, const double *end, const cosma_cost_model_t *m)
{
    double at = 0;
    for (int l = 0; l < RT_N_LANES; l++) {
        int32_t w = deps->nodes[n].wait[l];
        if (w < 0)
            continue;
        if (end[w] < 0)
            return -1;
        at = fmax(at, end[w] + m->dependency_seconds);
    }
    return at;
}

static double rate_of(const rt_node_t *node, const lane_state_t *lanes, const cosma_cost_model_t *m)
{
    if (!is_copy(node))
        return 1.0;
    int duplex = lanes[RT_LANE_UP].node >= 0 && lanes[RT_LANE_DOWN].node >= 0 && lanes[RT_LANE_UP].latency <= 0 &&
                 lanes[RT_LANE_DOWN].latency <= 0;
    int up = node->lane == RT_LANE_UP;
    double bw = up ? m->h2d_bytes_per_second : m->d2h_bytes_per_second;
    return duplex ? bw / (up ? m->h2d_duplex_slowdown : m->d2h_duplex_slowdown) : bw;
}

double rt_simulate(const rt_deps_t *deps, const cosma_cost_model_t *m, const double *kernel_seconds,
                   rt_trace_node_t *out_nodes)
{
    double *end = malloc(((size_t)deps->n_nodes + 1) * sizeof(double));
    if (end == NULL)
        return -1;
    for (int32_t n = 0; n < deps->n_nodes; n++)
        end[n] = -1;
    lane_state_t lanes[RT_N_LANES];
    int32_t next[RT_N_LANES];
    for (int l = 0; l < RT_N_LANES; l++) {
        lanes[l].node = -1;
        next[l] = 0;
    }
    double now = 0;
    int32_t finished = 0;
    while (finished < deps->n_nodes) {
        double pending = INFINITY;
        for (int l = 0; l < RT_N_LANES; l++) {
            while (next[l] < deps->n_nodes && deps->nodes[next[l]].lane != (rt_lane_t)l)
                next[l]++;
            if (lanes[l].node >= 0 || next[l] >= deps->n_nodes)
                continue;
            int32_t n = next[l];
            double at = ready_at(deps, n, end, m);
            if (at < 0)
                continue;
            if (at > now) {
                pending = fmin(pending, at);
                continue;
            }
            const rt_node_t *node = &deps->nodes[n];
            lanes[l].node = n;
            lanes[l].latency = is_copy(node) ? (l == RT_LANE_UP ? m->h2d_latency_seconds : m->d2h_latency_seconds)
                                             : 0;
            lanes[l].work = is_copy(node) ? (double)node->bytes : kernel_seconds[n];
            if (out_nodes != NULL)
                out_nodes[n].start = now;
            next[l]++;
        }
        double step = pending - now;
        for (int l = 0; l < RT_N_LANES; l++) {
            if (lanes[l].node < 0)
                continue;
            double left = lanes[l].latency > 0 ? lanes[l].latency
                                               : lanes[l].work / rate_of(&deps->nodes[lanes[l].node], lanes, m);
            step = fmin(step, left);
        }
        if (!isfinite(step)) {
            free(end);
            return -1; /* nothing can run: a broken graph */
        }
        double rates[RT_N_LANES];
        for (int l = 0; l < RT_N_LANES; l++)
            rates[l] = lanes[l].node >= 0 ? rate_of(&deps->nodes[lanes[l].node], lanes, m) : 0;
        now += step;
        for (int l = 0; l < RT_N_LANES; l++) {
            if (lanes[l].node < 0)
                continue;
            if (lanes[l].latency > 0)
                lanes[l].latency -= step;
            else
                lanes[l].work -= step * rates[l];
            if (lanes[l].latency <= 1e-15 && lanes[l].work <= 1e-9 * fmax(1.0, rates[l])) {
                end[lanes[l].node] = now;
                if (out_nodes != NULL)
                    out_nodes[lanes[l].node].end = now;
                lanes[l].node = -1;
                finished++;
            } else if (lanes[l].latency < 0) {
                lanes[l].latency = 0;
            }
        }
    }
    free(end);
    return now;
}
