/* cli_solve.c: runs a long solve on a worker thread while the command's
 * own thread keeps the promises a solver phase cannot keep by itself:
 * SIGINT, SIGTERM and SIGHUP end the command at once with the best
 * verified plan found so far, the time limit holds for the whole command
 * even when a phase overruns it, and the progress line's clock moves. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* The thread that waits redraws the progress line this often. */
#define REDRAW_SECONDS 1.0
/* The command ends this long after its time limit even if the solve has
 * not returned (a fraction of the limit, at least the minimum). */
#define OVERRUN_SHARE 0.05
#define OVERRUN_MIN_SECONDS 0.05

/* SIGUSR2 only wakes the waiting thread (the worker is done); it is
 * blocked like the others, so it never ends the process. */
static const int awaited_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR2};

struct cli_solve {
    pthread_mutex_t lock;
    pthread_t waiter;
    double started;         /* the command's clock at its start */
    cli_job_fn job;
    void *job_ctx;
    int done;
    cosma_status_t status;  /* the job's, once done */
    cosma_plan_t *best;     /* the latest plan offered, owned */
    cosma_progress_t progress;
    char phase[64];
    int have_progress;
    cli_progress_t line;    /* drawn by both threads, under lock */
};

static void solve_offer(void *ctx, cosma_plan_t *plan)
{
    cli_solve_t *solve = ctx;
    pthread_mutex_lock(&solve->lock);
    cosma_plan_t *old = solve->best;
    solve->best = plan;
    pthread_mutex_unlock(&solve->lock);
    cosma_plan_destroy(old);
}

static void solve_progress(void *ctx, const cosma_progress_t *progress)
{
    cli_solve_t *solve = ctx;
    pthread_mutex_lock(&solve->lock);
    solve->progress = *progress;
    snprintf(solve->phase, sizeof solve->phase, "%s", progress->phase != NULL ? progress->phase : "");
    solve->progress.phase = solve->phase;
    solve->progress.elapsed = cosma_clock_seconds() - solve->started; /* the command's clock */
    solve->have_progress = 1;
    cli_progress_report(&solve->line, &solve->progress);
    pthread_mutex_unlock(&solve->lock);
}

void cli_solve_hook(cli_solve_t *solve, cosma_plan_options_t *options)
{
    options->progress = solve_progress;
    options->progress_ctx = solve;
    options->on_plan = solve_offer;
    options->on_plan_ctx = solve;
}

static void *solve_worker(void *arg)
{
    cli_solve_t *solve = arg;
    cosma_status_t status = solve->job(solve->job_ctx, solve);
    pthread_mutex_lock(&solve->lock);
    solve->status = status;
    solve->done = 1;
    pthread_mutex_unlock(&solve->lock);
    pthread_kill(solve->waiter, SIGUSR2);
    return NULL;
}

static void awaited_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t k = 0; k < sizeof awaited_signals / sizeof awaited_signals[0]; k++)
        sigaddset(set, awaited_signals[k]);
}

/* Takes every pending signal of set; returns the last one that ends the
 * command (0: none). */
static int take_pending(const sigset_t *set)
{
    struct timespec now = {0, 0};
    int sig, ending = 0;
    while ((sig = sigtimedwait(set, NULL, &now)) > 0)
        if (sig != SIGUSR2)
            ending = sig;
    return ending;
}

/* Redraws the progress line (drawn by the worker at each phase) with the
 * clock of the waiting thread, so that it moves during a long phase. */
static void redraw(cli_solve_t *solve)
{
    pthread_mutex_lock(&solve->lock);
    cosma_progress_t progress = solve->have_progress ? solve->progress : (cosma_progress_t){.phase = "bounds"};
    progress.elapsed = cosma_clock_seconds() - solve->started;
    if (progress.phase_index <= progress.n_phases) /* else the worker is finishing */
        cli_progress_report(&solve->line, &progress);
    pthread_mutex_unlock(&solve->lock);
}

/* Waits for the worker, a signal or the deadline; returns how it ended. */
static cli_solve_end_t await_worker(cli_solve_t *solve, double deadline, int *out_signal)
{
    sigset_t set;
    awaited_set(&set);
    cli_solve_end_t end = CLI_SOLVE_FINISHED;
    for (;;) {
        pthread_mutex_lock(&solve->lock);
        int done = solve->done;
        pthread_mutex_unlock(&solve->lock);
        if (done)
            break;
        double now = cosma_clock_seconds();
        if (now >= deadline) {
            end = CLI_SOLVE_TIMED_OUT;
            break;
        }
        double wait = deadline - now < REDRAW_SECONDS ? deadline - now : REDRAW_SECONDS;
        struct timespec timeout = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
        int sig = sigtimedwait(&set, NULL, &timeout);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            *out_signal = sig;
            end = CLI_SOLVE_INTERRUPTED;
            break;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            break; /* cannot wait for signals: wait for the worker only */
        redraw(solve);
    }
    pthread_mutex_lock(&solve->lock);
    cli_progress_end(&solve->line);
    pthread_mutex_unlock(&solve->lock);
    return end;
}

static void solve_free(cli_solve_t *solve)
{
    cosma_plan_destroy(solve->best);
    pthread_mutex_destroy(&solve->lock);
    free(solve);
}

cli_solve_end_t cli_solve_run(cli_job_fn job, void *job_ctx, double started, double time_limit, int quiet,
                              cosma_status_t *out_status, cosma_plan_t **out_best, int *out_signal)
{
    *out_best = NULL;
    *out_signal = 0;
    cli_solve_t *solve = calloc(1, sizeof *solve);
    if (solve == NULL) {
        *out_status = COSMA_ERR_NOMEM;
        return CLI_SOLVE_FINISHED;
    }
    pthread_mutex_init(&solve->lock, NULL);
    cli_progress_init(&solve->line, quiet);
    solve->waiter = pthread_self();
    solve->started = started;
    solve->job = job;
    solve->job_ctx = job_ctx;
    /* The worker inherits the mask: only this thread takes the signals. */
    sigset_t set, old;
    awaited_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pthread_t worker;
    if (pthread_create(&worker, NULL, solve_worker, solve) != 0) {
        /* No thread: run the solve here, without the early ends. */
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        *out_status = job(job_ctx, solve);
        solve_free(solve);
        return CLI_SOLVE_FINISHED;
    }
    double overrun = time_limit * OVERRUN_SHARE > OVERRUN_MIN_SECONDS ? time_limit * OVERRUN_SHARE
                                                                       : OVERRUN_MIN_SECONDS;
    cli_solve_end_t end = await_worker(solve, started + time_limit + overrun, out_signal);
    if (end == CLI_SOLVE_FINISHED) {
        pthread_join(worker, NULL);
        /* The worker's wake-up, and a signal that came as it finished: the
         * solve is complete, so the caller writes its outputs and then
         * ends as the signal asked. */
        *out_signal = take_pending(&set);
        *out_status = solve->status;
        solve_free(solve);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return end;
    }
    /* The worker is left running until the process ends (it only reads
     * the graph and writes into solve, which is therefore never freed);
     * the signals stay blocked, so the outputs complete. */
    pthread_mutex_lock(&solve->lock);
    *out_best = solve->best;
    solve->best = NULL;
    pthread_mutex_unlock(&solve->lock);
    *out_status = COSMA_OK;
    return end;
}
