/* cli_common.c: argument parsing and diagnostics for the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void emit_stderr(void *ctx, cosma_severity_t severity, const char *message)
{
    (void)ctx;
    const char *label = severity == COSMA_SEV_ERROR ? "error" : severity == COSMA_SEV_WARNING ? "warning" : "note";
    fprintf(stderr, "cosma: %s: %s\n", label, message);
}

cosma_diag_t cli_diag_stderr(void)
{
    cosma_diag_t diag = {emit_stderr, NULL, 0};
    return diag;
}

int cli_flag(char **argv, int *i, const char *name)
{
    return strcmp(argv[*i], name) == 0;
}

int cli_option(int argc, char **argv, int *i, const char *name, const char **out_value)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *out_value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *out_value = NULL;
        return 1;
    }
    *out_value = argv[++*i];
    return 1;
}

int cli_parse_u64(const char *text, uint64_t *out_value)
{
    if (text == NULL || *text < '0' || *text > '9')
        return 0;
    errno = 0;
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    *out_value = value;
    return 1;
}

int cli_parse_u32(const char *text, uint32_t *out_value)
{
    uint64_t value;
    if (!cli_parse_u64(text, &value) || value > UINT32_MAX)
        return 0;
    *out_value = (uint32_t)value;
    return 1;
}

int cli_parse_method(const char *text, cosma_method_t *out_method)
{
    static const char *const names[] = {"auto", "ilp", "dc", "greedy"};
    static const cosma_method_t methods[] = {COSMA_METHOD_AUTO, COSMA_METHOD_ILP, COSMA_METHOD_DC,
                                             COSMA_METHOD_GREEDY};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(text, names[k]) == 0) {
            *out_method = methods[k];
            return 1;
        }
    return 0;
}

int cli_parse_double(const char *text, double *out_value)
{
    if (text == NULL || *text == '\0')
        return 0;
    errno = 0;
    char *end;
    double value = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(value))
        return 0;
    *out_value = value;
    return 1;
}

int cli_parse_bytes(const char *text, uint64_t *out_value)
{
    static const struct {
        const char *suffix;
        uint64_t scale;
    } units[] = {{"B", 1},           {"KB", 1000},          {"KiB", 1024},
                 {"MB", 1000000},    {"MiB", 1024 * 1024},  {"GB", 1000000000},
                 {"GiB", 1024ull * 1024 * 1024}};
    if (text == NULL || *text < '0' || *text > '9')
        return 0;
    size_t digits = strspn(text, "0123456789.");
    const char *suffix = text + digits;
    uint64_t scale = 1;
    if (*suffix != '\0') {
        int found = 0;
        for (size_t u = 0; u < sizeof units / sizeof units[0] && !found; u++)
            if (strcmp(suffix, units[u].suffix) == 0) {
                scale = units[u].scale;
                found = 1;
            }
        if (!found)
            return 0;
    }
    char number[64];
    if (digits >= sizeof number)
        return 0;
    memcpy(number, text, digits);
    number[digits] = '\0';
    if (strchr(number, '.') == NULL) {
        uint64_t value;
        if (!cli_parse_u64(number, &value) || cosma_u64_mul(value, scale, out_value))
            return 0;
        return 1;
    }
    double value;
    if (!cli_parse_double(number, &value) || value * (double)scale > 1.8e19)
        return 0;
    double bytes = value * (double)scale;
    if (bytes != floor(bytes))
        return 0; /* fractional bytes */
    *out_value = (uint64_t)bytes;
    return 1;
}

int cli_budget_symbol(const char *text, int *out_params)
{
    size_t n = strlen(text);
    *out_params = n == 4;
    if ((n != 3 && !(n == 4 && text[3] == 'p')) || strncmp(text, "M_", 2) != 0 || strchr("RHP", text[2]) == NULL)
        return 0;
    return text[2];
}

uint64_t cli_budget_bytes(const cosma_bounds_t *bounds, int symbol)
{
    return symbol == 'R' ? bounds->m_r : symbol == 'H' ? bounds->m_h : bounds->m_p_upper;
}

int cli_graph_option(int argc, char **argv, int *i, cli_graph_options_t *options, cosma_diag_t *diag)
{
    const char *value;
    if (cli_flag(argv, i, "--params")) {
        options->with_params = 1;
        return 1;
    }
    if (cli_option(argc, argv, i, "--elem-bytes", &value)) {
        uint32_t bytes;
        if (value == NULL) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "--elem-bytes needs a value");
            return -1;
        }
        if (!cli_parse_u32(value, &bytes) || bytes == 0 || bytes > 64) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "--elem-bytes needs a whole number from 1 to 64, got '%s'",
                              value != NULL ? value : "");
            return -1;
        }
        options->elem_bytes = bytes;
        options->elem_bytes_given = 1;
        return 1;
    }
    if (cli_option(argc, argv, i, "--dim", &value)) {
        if (value == NULL) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "--dim needs NAME=VALUE");
            return -1;
        }
        const char *eq = value != NULL ? strchr(value, '=') : NULL;
        uint64_t dim;
        if (eq == NULL || eq == value || !cli_parse_u64(eq + 1, &dim) || dim == 0 || dim > INT64_MAX) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "--dim needs NAME=VALUE with a positive VALUE, got '%s'",
                              value != NULL ? value : "");
            return -1;
        }
        if (options->n_dims >= (int32_t)(sizeof options->dims / sizeof options->dims[0])) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "too many --dim bindings (at most 32)");
            return -1;
        }
        /* argv outlives the options: point into it. */
        ((char *)value)[eq - value] = '\0';
        options->dims[options->n_dims].name = value;
        options->dims[options->n_dims].value = (int64_t)dim;
        options->n_dims++;
        return 1;
    }
    return 0;
}

cosma_status_t cli_load_graph(const char *path, const cli_graph_options_t *options, cosma_graph_t **out_graph,
                              cosma_diag_t *diag)
{
    cosma_import_options_t import = {
        .dims = options->dims, .n_dims = options->n_dims, .elem_bytes = options->elem_bytes};
    return cosma_frontend_load(path, &import, out_graph, diag);
}

cosma_mode_t cli_mode(const cosma_graph_t *graph, const cli_graph_options_t *options)
{
    cosma_mode_t mode;
    mode.with_params = options->with_params;
    mode.elem_bytes = options->elem_bytes_given ? options->elem_bytes : graph->elem_bytes;
    return mode;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fprintf(stderr, "cosma %s: %s\nTry 'cosma %s --help'.\n", command, message, command);
    return CLI_EXIT_BAD_INPUT;
}

int cli_operand(const char *command, const char *arg, const char **const *slots, int n_slots)
{
    if (arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error(command, "unknown option '%s'", arg);
    for (int k = 0; k < n_slots; k++) {
        if (*slots[k] == NULL) {
            *slots[k] = arg;
            return CLI_EXIT_OK;
        }
    }
    return cli_usage_error(command, "unexpected argument '%s'", arg);
}

cosma_status_t cli_read_order(const char *path, const cosma_graph_t *graph, int32_t *out_order, cosma_diag_t *diag)
{
    char *text = NULL;
    size_t length = 0;
    cosma_status_t status = cosma_file_read(path, &text, &length, diag);
    if (status != COSMA_OK)
        return status;
    int32_t count = 0;
    int line_number = 0;
    status = COSMA_OK;
    unsigned char *seen = calloc((size_t)graph->n_ops + 1, 1);
    if (seen == NULL) {
        free(text);
        return COSMA_ERR_NOMEM;
    }
    for (char *line = text; line != NULL && status == COSMA_OK;) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        line_number++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line != '\0' && *line != '#') {
            cosma_loc_t loc = {path, line_number, 1};
            int32_t op = cosma_graph_find_op(graph, line);
            if (op < 0) {
                cosma_diag_error_at(diag, loc, "unknown operator '%s'", line);
                status = COSMA_ERR_INPUT;
            } else if (seen[op]) {
                cosma_diag_error_at(diag, loc, "operator '%s' appears twice", line);
                status = COSMA_ERR_INPUT;
            } else if (count >= graph->n_ops) {
                status = COSMA_ERR_INPUT;
            } else {
                seen[op] = 1;
                out_order[count++] = op;
            }
        }
        line = next;
    }
    if (status == COSMA_OK && count != graph->n_ops) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: the order names %d of the graph's %d operators", path,
                          (int)count, (int)graph->n_ops);
        status = COSMA_ERR_INPUT;
    }
    int topological = 0;
    if (status == COSMA_OK)
        status = cosma_order_check(graph, out_order, &topological);
    if (status == COSMA_OK && !topological) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: the order is not topological (an operator comes before "
                          "the producer of one of its inputs)", path);
        status = COSMA_ERR_INPUT;
    }
    free(seen);
    free(text);
    return status;
}

int cli_exit_code(cosma_status_t status, cosma_diag_t *diag)
{
    /* A failure always says so, even where the failing call had nothing
     * more precise to report (an allocation deep in a library). */
    if (cosma_status_exit_code(status) == CLI_EXIT_FAILURE && diag->n_errors == 0)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s", status == COSMA_ERR_NOMEM ? "out of memory"
                                                                               : cosma_status_name(status));
    return cosma_status_exit_code(status);
}
