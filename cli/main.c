/* main.c: the `cosma` command: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"info", cli_cmd_info, "sizes and memory bounds of a graph (M_R, M_P, M_H)"},
    {"import", cli_cmd_import, "convert an ONNX model (or YAML graph) to the YAML graph format"},
    {"plan", cli_cmd_plan, "schedule, allocate and spill: write an execution plan for a budget"},
    {"verify", cli_cmd_verify, "check a plan against its graph and recompute its traffic"},
    {"arena", cli_cmd_arena, "zero-spill arena size of placement-only allocators"},
    {"sweep", cli_cmd_sweep, "plan several budgets, each seeded by the smaller ones: the trade-off table"},
};

static void print_help(FILE *out)
{
    fprintf(out, "usage: cosma COMMAND [ARGS]\n\n"
                 "Plans the order of operators, scratchpad offsets and spills of a DNN graph\n"
                 "so that off-chip traffic is as small as possible.\n\ncommands:\n");
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        fprintf(out, "  %-8s %s\n", commands[c].name, commands[c].summary);
    fprintf(out, "\n'cosma COMMAND --help' describes a command.\n"
                 "Exit status: 0 success, 1 the requested result does not exist (e.g. an\n"
                 "infeasible budget), 2 bad usage or bad input, 3 internal or solver failure.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_BAD_INPUT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cosma %s\n", COSMA_VERSION);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(argv[1], commands[c].name) == 0)
            return cli_finish_stdout(commands[c].run(argc - 1, argv + 1));
    fprintf(stderr, "cosma: unknown command '%s'\nTry 'cosma --help'.\n", argv[1]);
    return CLI_EXIT_BAD_INPUT;
}
