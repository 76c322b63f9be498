/* cli_output.c: what the command does around its outputs: signals that
 * would cut a commit short are deferred, a temporary file that lives while
 * the planner runs is removed by a signal, and standard output is checked
 * at exit. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const int deferred_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void cli_signals_defer(sigset_t *out_old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t k = 0; k < sizeof deferred_signals / sizeof deferred_signals[0]; k++)
        sigaddset(&set, deferred_signals[k]);
    sigprocmask(SIG_BLOCK, &set, out_old);
}

void cli_signals_restore(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

/* The one temporary file a signal must remove (a signal handler reaches
 * nothing but static storage: this is the command's only such state). */
static const char *volatile tracked_temp;

static void remove_and_die(int sig)
{
    const char *temp = tracked_temp;
    if (temp != NULL)
        unlink(temp);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_track(const char *temp)
{
    tracked_temp = temp;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = temp != NULL ? remove_and_die : SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (size_t k = 0; k < sizeof deferred_signals / sizeof deferred_signals[0]; k++)
        sigaction(deferred_signals[k], &action, NULL);
}

int cli_finish_stdout(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cosma: error: cannot write to standard output: %s\n", strerror(errno));
        return code == CLI_EXIT_OK ? CLI_EXIT_BAD_INPUT : code;
    }
    return code;
}
