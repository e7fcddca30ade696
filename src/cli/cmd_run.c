#include "cli/cli.h"

#include <stdio.h>

int herd_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd run: not built yet\n");
    return 2;
}
