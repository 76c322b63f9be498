/* cli_progress.c: the one progress line of a long solve on stderr: updated
 * in place on a terminal, printed at most every few seconds otherwise (so a
 * short run prints nothing and a log gets a line now and then). */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

/* Seconds between progress lines when stderr is not a terminal. */
#define PROGRESS_LOG_SECONDS 5.0

void cli_progress_init(cli_progress_t *progress, int quiet)
{
    *progress = (cli_progress_t){.enabled = !quiet, .terminal = isatty(fileno(stderr)), .last = 0.0};
}

void cli_progress_report(void *ctx, const cosma_progress_t *p)
{
    cli_progress_t *progress = ctx;
    int done = p->phase_index > p->n_phases;
    if (!progress->enabled)
        return;
    if (progress->terminal && done) {
        cli_progress_end(progress);
        return;
    }
    if (!progress->terminal && (done || p->elapsed - progress->last < PROGRESS_LOG_SECONDS))
        return;
    char state[96] = "no plan yet";
    if (p->have_plan) {
        double gap = p->traffic > 0 ? 100.0 * (double)(p->traffic - p->bound) / (double)p->traffic : 0.0;
        snprintf(state, sizeof state, "traffic %llu, bound %llu, gap %.1f%%", (unsigned long long)p->traffic,
                 (unsigned long long)p->bound, gap);
    }
    char count[32] = "";
    if (p->n_phases > 0)
        snprintf(count, sizeof count, "%d/%d ", (int)p->phase_index, (int)p->n_phases);
    fprintf(stderr, "%s[%7.1f s] %s%s: %s%s", progress->terminal ? "\r\033[K" : "", p->elapsed, count, p->phase,
            state, progress->terminal ? "" : "\n");
    fflush(stderr);
    progress->last = p->elapsed;
    progress->shown = 1;
}

void cli_progress_end(cli_progress_t *progress)
{
    /* A line left on a terminal would run into the result or an error. */
    if (progress->enabled && progress->terminal && progress->shown)
        fputs("\r\033[K", stderr);
    progress->shown = 0;
}
