#include "cli/cli.h"

#include <stdio.h>

int herd_cmd_submit(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd submit: not built yet\n");
    return 2;
}

int herd_cmd_wait(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd wait: not built yet\n");
    return 2;
}

int herd_cmd_status(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd status: not built yet\n");
    return 2;
}

int herd_cmd_cancel(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd cancel: not built yet\n");
    return 2;
}

int herd_cmd_workers(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd workers: not built yet\n");
    return 2;
}

int herd_cmd_logs(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd logs: not built yet\n");
    return 2;
}
