/* diag.c: status names, exit codes and the diagnostics sink. */
#include <stdio.h>

#include <cosma/ir.h>

const char *cosma_status_name(cosma_status_t status)
{
    switch (status) {
    case COSMA_OK: return "ok";
    case COSMA_ERR_USAGE: return "usage error";
    case COSMA_ERR_INPUT: return "invalid input";
    case COSMA_ERR_INFEASIBLE: return "infeasible";
    case COSMA_ERR_IO: return "i/o error";
    case COSMA_ERR_NOMEM: return "out of memory";
    case COSMA_ERR_SOLVER: return "solver failure";
    case COSMA_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

int cosma_status_exit_code(cosma_status_t status)
{
    switch (status) {
    case COSMA_OK: return 0;
    case COSMA_ERR_INFEASIBLE: return 1;
    case COSMA_ERR_USAGE:
    case COSMA_ERR_INPUT:
    case COSMA_ERR_IO: return 2;
    default: return 3;
    }
}

void cosma_diag_vreport(cosma_diag_t *diag, cosma_severity_t severity, const char *fmt, va_list ap)
{
    if (diag == NULL)
        return;
    if (severity == COSMA_SEV_ERROR)
        diag->n_errors++;
    if (diag->emit == NULL)
        return;
    char message[1024];
    vsnprintf(message, sizeof message, fmt, ap);
    diag->emit(diag->ctx, severity, message);
}

void cosma_diag_report(cosma_diag_t *diag, cosma_severity_t severity, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cosma_diag_vreport(diag, severity, fmt, ap);
    va_end(ap);
}

void cosma_diag_error_at(cosma_diag_t *diag, cosma_loc_t loc, const char *fmt, ...)
{
    char message[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (loc.file != NULL && loc.line > 0 && loc.column > 0)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s:%d:%d: %s", loc.file, loc.line, loc.column, message);
    else if (loc.file != NULL && loc.line > 0)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s:%d: %s", loc.file, loc.line, message);
    else if (loc.file != NULL)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: %s", loc.file, message);
    else
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s", message);
}
