/* cmd_calibrate.c: `cosma calibrate --backend cpu|cuda -o COST.json`:
 * measures the copy cost model (per-direction latency and bandwidth, the
 * duplex slowdown, the cost of a cross-stream dependency) that `cosma run`
 * uses for its prediction. */
#include <string.h>

#include "cli.h"
#include <cosma/runtime.h>

static const char usage[] =
    "usage: cosma calibrate [--backend cpu|cuda] -o COST.json [--device N]\n\n"
    "Measures per-direction copy latency and bandwidth (pinned memory on cuda),\n"
    "the slowdown when both directions copy at once and the cost of one\n"
    "dependency between streams; writes them for 'cosma run --cost'.\n"
    "  --backend cpu|cuda   what to measure (default cuda)\n"
    "  -o, --output FILE    where to write the model (\"-\" = standard output)\n"
    "  --device N           cuda device (default 0)\n\n"
    "Exit status: 0 written, 2 bad usage, 3 the measurement failed.\n";

int cli_cmd_calibrate(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    cosma_backend_t backend = COSMA_BACKEND_CUDA;
    const char *output = NULL, *value = NULL;
    uint32_t device = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv, &i, "--help") || cli_flag(argv, &i, "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        if (cli_option(argc, argv, &i, "--backend", &value)) {
            if (value == NULL || cosma_backend_parse(value, &backend) != 0)
                return cli_usage_error("calibrate", "--backend takes cpu or cuda");
        } else if (cli_option(argc, argv, &i, "-o", &value) || cli_option(argc, argv, &i, "--output", &value)) {
            if ((output = value) == NULL)
                return cli_usage_error("calibrate", "-o needs a file");
        } else if (cli_option(argc, argv, &i, "--device", &value)) {
            if (!cli_parse_u32(value, &device) || device > 1024)
                return cli_usage_error("calibrate", "--device takes a device number");
        } else {
            return cli_usage_error("calibrate", "unexpected argument '%s'", argv[i]);
        }
    }
    if (output == NULL)
        return cli_usage_error("calibrate", "missing -o COST.json");
    if (!cosma_backend_available(backend))
        return cli_usage_error("calibrate", "backend '%s' is not in this build (no CUDA Toolkit at build time)",
                               cosma_backend_name(backend));
    cosma_cost_model_t model;
    cosma_status_t status = cosma_runtime_calibrate(backend, (int)device, &model, &diag);
    if (status == COSMA_OK)
        status = cosma_cost_model_write(&model, output, &diag);
    if (status != COSMA_OK)
        return status == COSMA_ERR_IO ? CLI_EXIT_BAD_INPUT : CLI_EXIT_FAILURE;
    if (strcmp(output, "-") != 0)
        fprintf(stderr,
                "cosma: calibrated %s: host to device %.2f GB/s + %.2f us (duplex x%.3f), device to host %.2f "
                "GB/s + %.2f us (duplex x%.3f), dependency %.2f us, wait %.2f us, signal %.2f us, kernel gap %.2f "
                "us (graph), launch %.2f us (streams)\n",
                model.backend, 1e-9 * model.h2d_bytes_per_second, 1e6 * model.h2d_latency_seconds,
                model.h2d_duplex_slowdown, 1e-9 * model.d2h_bytes_per_second, 1e6 * model.d2h_latency_seconds,
                model.d2h_duplex_slowdown, 1e6 * model.dependency_seconds, 1e6 * model.wait_seconds,
                1e6 * model.signal_seconds, 1e6 * model.kernel_gap_seconds, 1e6 * model.launch_seconds);
    return CLI_EXIT_OK;
}
