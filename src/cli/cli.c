#include "cli/cli.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *args;
    const char *summary;
};

static const struct command commands[] = {
    {"master", herd_cmd_master, "[--listen H:P] [--http H:P] [--data-dir D] [--secret-file F]",
     "run a master"},
    {"worker", herd_cmd_worker, "[MASTER] [--cores N] [--memory SIZE] [--label K=V]...",
     "run a worker (MASTER: host[:port], a DNS name, or $HERD_MASTER)"},
    {"run", herd_cmd_run, "ALGO|PLUGIN.so GRAPH [--output F] [opts]", "run a graph job"},
    {"generate", herd_cmd_generate, "kronecker|uniform --scale S --degree D [--seed N] -o F",
     "generate a synthetic graph"},
    {"convert", herd_cmd_convert, "IN OUT [--directed|--undirected] [--format F]",
     "convert a graph (to .hgr binary, or to a text edge list)"},
    {"submit", herd_cmd_submit, "SPEC.json | --each 'CMD {}' FILES... | -- CMD ARGS... | --function F",
     "submit a task job"},
    {"wait", herd_cmd_wait, "JOB", "wait for a job, with progress"},
    {"status", herd_cmd_status, "[JOB]", "show jobs or one job"},
    {"cancel", herd_cmd_cancel, "JOB", "cancel a job"},
    {"fetch", herd_cmd_fetch, "JOB TASK [FILE] [-o DEST]", "download a task's output files"},
    {"workers", herd_cmd_workers, "", "list workers"},
    {"logs", herd_cmd_logs, "JOB [TASK]", "show a task's output"},
};

static void usage(FILE *f)
{
    fprintf(f, "herd %s — a master/worker compute cluster\n\nusage: herd COMMAND [ARGS]\n\n",
            HERD_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %-60s %s\n", commands[i].name, commands[i].args, commands[i].summary);
    fprintf(f, "\nThe master address comes from --master, $HERD_MASTER, or 127.0.0.1:7070.\n");
}

int herd_cli_main(int argc, char **argv)
{
    herd_log_init_from_env();
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("herd %s\n", HERD_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "herd: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
