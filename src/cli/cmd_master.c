#include "cli/cli.h"

#include <stdio.h>

int herd_cmd_master(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd master: not built yet\n");
    return 2;
}

int herd_cmd_worker(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd worker: not built yet\n");
    return 2;
}
